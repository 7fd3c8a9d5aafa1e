package cache

import (
	"errors"
	"fmt"
	"time"

	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/resource"
)

// ErrClosed is returned by GetOrLoad once the cache is closed.
var ErrClosed = errors.New("cache: closed")

// ErrTooHeavy is returned by GetOrLoad for a loaded value that holds a
// resource (Options.Registry) and weighs more than the cache's bound
// (Options.MaxWeight, or less after Resize or under memory pressure): its
// own store evicted it at once, releasing it (unless another entry holds
// the same value), so it is not handed out. The error names the weight
// and the bound.
var ErrTooHeavy = errors.New("cache: value heavier than the cache's bound")

// ErrRejected is returned by GetOrLoad for a loaded value that holds a
// resource (Options.Registry) and that the Policy turned away as soon as
// it was stored (an Evictor may return the newest entry as the victim):
// its eviction released it, so it is not handed out.
var ErrRejected = errors.New("cache: value rejected by the policy")

// Reason tells OnEvict why an entry left the cache.
type Reason uint8

const (
	// Capacity: evicted to keep the cache within MaxEntries or MaxWeight.
	Capacity Reason = iota
	// Expired: its TTL or idle time passed.
	Expired
	// Deleted: removed by Delete, Clear or Close.
	Deleted
	// Replaced: its value was replaced by Set or SetTTL (OnEvict gets the old value).
	Replaced
	// Pressure: evicted by ResizeForPressure (memory pressure).
	Pressure
	numReasons
)

var reasonNames = [numReasons]string{"capacity", "expired", "deleted", "replaced", "pressure"}

// String returns the reason in lower case ("capacity", "expired", ...).
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return fmt.Sprintf("Reason(%d)", uint8(r))
}

// Options configures a cache. A nil *Options is invalid (a size bound is
// required); zero fields take their defaults.
type Options[K comparable, V any] struct {
	// MaxEntries bounds the number of entries. Exactly one of MaxEntries and
	// MaxWeight must be > 0.
	MaxEntries int
	// MaxWeight bounds the total weight of the entries, as given by Weigher
	// (required with MaxWeight). Weigher is called outside locks, once per
	// Set; negative weights count as 0. An entry heavier than MaxWeight is
	// evicted (Reason Capacity) as soon as it is set; GetOrLoad then fails
	// with ErrTooHeavy if the value holds a resource (Options.Registry),
	// since its eviction releases it. It must not panic: a
	// panic reaches the caller of Set, but crashes the process when raised
	// storing a loaded value (on GetOrLoad's load goroutine).
	MaxWeight int64
	Weigher   func(K, V) int64

	// Policy chooses victims; nil means TinyLFU(). New fails if its
	// NewEvictor returns nil.
	Policy Policy

	// TTL is the default time to live of entries set by Set or GetOrLoad
	// (0: entries do not expire). SetTTL overrides it per entry.
	TTL time.Duration
	// ExpireAfterAccess, when > 0, makes entries expire after this long
	// without a read or write: each Get hit and each Set pushes the entry's
	// deadline to now+ExpireAfterAccess. It excludes TTL; an entry set with
	// SetTTL gets that first deadline, and a later hit moves it to
	// now+ExpireAfterAccess only if that is later (a hit never shortens a
	// deadline).
	ExpireAfterAccess time.Duration

	// OnEvict, if set, is called once for every entry that leaves the cache
	// (and for the old value of a replaced entry), after the operation that
	// removed it released its locks, on that operation's goroutine (or the
	// expiry timer's). It may call back into the cache. It must not panic: a
	// panic reaches the caller of the operation (after the removed values are
	// released), or crashes the process when raised on the timer's goroutine
	// or on a load's (the store of GetOrLoad's loaded value).
	OnEvict func(key K, value V, why Reason)

	// Registry, if set, makes eviction resource-aware: every value that is an
	// io.Closer or a Cleaner is registered in it when set (kind "cache-value",
	// priority ReleasePriority) and released through the registry's
	// scheduler when it leaves the cache for any reason, Close and Clear
	// included. The cache then owns such values: do not close them yourself.
	// Only a value with a known size, a Weigher's weight > 0, is registered
	// Reclaimable, with its weight as its size (Registry.Reclaim counts it
	// as that many bytes: weigh in bytes). Values of a MaxEntries cache, and
	// of weight 0, are not: Reclaim releases resources until their sizes
	// reach its target, and would release every such value, freeing 0
	// bytes each, before getting anywhere; set Pressure to have such a
	// cache give memory back. A value the registry releases on its own
	// (Reclaim under memory pressure, ReleaseMatching, Shutdown) leaves the
	// cache with Reason Pressure, under every key that held it, even when
	// the release overtakes the Set storing it. A value holding a resource
	// that the registry refuses to register (once it shuts down, or when
	// its table is full) is not stored, since nothing could release it, and
	// is closed at once on the caller's goroutine (the load's, for
	// GetOrLoad), as a closed cache releases what it is given. A value is
	// registered once however many keys hold it (equal comparable values,
	// typically one pointer, are the same resource) and released when the
	// last of its entries leaves. Values that are not comparable are
	// registered per entry. Sets of one comparable value that overlap in
	// time (concurrent Sets or loads under several keys) also share its
	// fate: if the registry releases or refuses it before they store it,
	// or the cache is closed meanwhile, it is closed once, when the last of
	// them is done, and not at all if one of them stored it under a live
	// registration. A value that left the cache, or that a Set did not
	// store (refused, or a closed cache), has been (or is being) released:
	// do not Set it again (it would be closed again).
	Registry *resource.Registry
	// ReleasePriority is the registry priority of cached values: resource.Low
	// (the zero value) to resource.Critical.
	ReleasePriority resource.Priority

	// Pressure, if set, makes the cache give memory back under memory
	// pressure: at Moderate, High and Critical its bound shrinks to 80%, 50%
	// and 25% of the configured one (MaxEntries/MaxWeight or the last
	// Resize), evicting with Reason Pressure; back at Normal it grows again
	// by 25% of the configured bound per monitor interval. Close ends the
	// subscription; the cache does not close the monitor.
	Pressure *pressure.Monitor
}

func (o *Options[K, V]) validate() error {
	switch {
	case o == nil:
		return errors.New("cache: Options are required (set MaxEntries or MaxWeight)")
	case o.MaxEntries < 0:
		return fmt.Errorf("cache: Options.MaxEntries must be >= 0, got %d", o.MaxEntries)
	case o.MaxWeight < 0:
		return fmt.Errorf("cache: Options.MaxWeight must be >= 0, got %d", o.MaxWeight)
	case o.MaxEntries == 0 && o.MaxWeight == 0:
		return errors.New("cache: Options.MaxEntries or Options.MaxWeight must be > 0")
	case o.MaxEntries > 0 && o.MaxWeight > 0:
		return errors.New("cache: set only one of Options.MaxEntries and Options.MaxWeight")
	case o.MaxWeight > 0 && o.Weigher == nil:
		return errors.New("cache: Options.Weigher is required with Options.MaxWeight")
	case o.MaxEntries > 0 && o.Weigher != nil:
		return errors.New("cache: Options.Weigher needs Options.MaxWeight, not Options.MaxEntries")
	case o.MaxEntries > 1<<31:
		return fmt.Errorf("cache: Options.MaxEntries must be <= 2^31, got %d", o.MaxEntries)
	case o.TTL < 0:
		return fmt.Errorf("cache: Options.TTL must be >= 0, got %v", o.TTL)
	case o.ExpireAfterAccess < 0:
		return fmt.Errorf("cache: Options.ExpireAfterAccess must be >= 0, got %v", o.ExpireAfterAccess)
	case o.TTL > 0 && o.ExpireAfterAccess > 0:
		return errors.New("cache: set only one of Options.TTL and Options.ExpireAfterAccess")
	case o.ReleasePriority < resource.Low || o.ReleasePriority > resource.Critical:
		// The registry would refuse every registration: values would be
		// cached untracked and never released.
		return fmt.Errorf("cache: Options.ReleasePriority must be resource.Low to resource.Critical, got %d", o.ReleasePriority)
	}
	return nil
}

// capacity returns the bound in the evictor's unit.
func (o *Options[K, V]) capacity() int64 {
	if o.MaxWeight > 0 {
		return o.MaxWeight
	}
	return int64(o.MaxEntries)
}
