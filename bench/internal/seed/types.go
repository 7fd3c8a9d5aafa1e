package seed

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"time"
)

// ID mirrors the seed's ResourceId(Uuid): 128 random bits, version 4.
type ID [16]byte

// GenerateID returns a new random ID (the seed's ResourceId::generate, a
// UUID v4). The seed drew from the uuid crate's generator; this uses the Go
// runtime's per-thread ChaCha8 source, which is at least as cheap.
// Safe for concurrent use.
func GenerateID() ID {
	var id ID
	a, b := rand.Uint64(), rand.Uint64()
	for i := range 8 {
		id[i] = byte(a >> (8 * i))
		id[8+i] = byte(b >> (8 * i))
	}
	id[6] = id[6]&0x0f | 0x40 // version 4
	id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
	return id
}

// String formats the ID as a UUID.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:], id[10:])
	return string(b[:])
}

// Priority mirrors the seed's CleanupPriority.
type Priority int

// The seed's four priorities, Low < Normal < High < Critical.
const (
	Low Priority = iota
	Normal
	High
	Critical
)

// Info mirrors the seed's ResourceInfo.
type Info struct {
	TypeName  string
	CreatedAt time.Time
	SizeBytes int64 // the seed's Option<usize>; 0 = unknown
	Metadata  map[string]string
}

// Request mirrors the seed's CleanupRequest: the cleanup is an already-built
// future, here a func.
type Request struct {
	ID       ID
	Cleanup  func() error
	Priority Priority
}

// The seed's CleanupError variants that the registry returns.
var (
	ErrShuttingDown     = errors.New("seed: registry is shutting down")
	ErrAlreadyCleanedUp = errors.New("seed: resource was already cleaned up")
)
