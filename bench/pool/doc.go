// Package pool compares github.com/patinox/memory/pool with peers, side by
// side in one process: jackc/puddle/v2, a buffered-channel pool and
// database/sql's pool (through a minimal fake driver). Each peer is an
// adapter (one file each) behind the Pooler interface.
//
// Benchmarks: BenchmarkAcquireRelease (throughput and allocations at several
// goroutines/connections ratios) and BenchmarkContention (wait-time p99 and
// p99.9 and Jain's fairness index for 32 goroutines on 4 connections).
// go run ./cmd/poolcmp prints the same comparison as a table.
package pool

import (
	"context"
	"fmt"
)

// Pooler is the common shape of the pools compared. Acquire returns a handle
// that Release takes back; handles are pointers so that boxing them in an
// interface does not allocate.
type Pooler interface {
	Acquire(ctx context.Context) (any, error)
	Release(h any)
	Close()
}

// Conn is the pooled value: a stand-in for a connection.
type Conn struct{ ID int }

// Peers lists the pools compared, by name, in display order.
var Peers = []struct {
	Name string
	New  func(conns int) Pooler
}{
	{"ours", NewOurs},
	{"puddle", NewPuddle},
	{"chan", NewChan},
	{"sql", NewSQL},
}

// MustNew builds the named peer or panics.
func MustNew(name string, conns int) Pooler {
	for _, p := range Peers {
		if p.Name == name {
			return p.New(conns)
		}
	}
	panic(fmt.Sprintf("bench/pool: unknown peer %q", name))
}
