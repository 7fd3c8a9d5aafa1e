package cow

import "sync/atomic"

// Stats is a snapshot of a Value's, Versioned's or Locked's sharing
// counters. Reads (Load, Read) are not counted: counting them would cost
// more than the read itself. Fields a type does not use stay zero.
type Stats struct {
	Writes        uint64 // values published (Update, Store) or Write calls
	FailedUpdates uint64 // Update calls whose func returned an error or panicked
	Clones        uint64 // calls of the clone func (none when it is nil: assignment copies)
	Delivered     uint64 // snapshots handed to watchers (Versioned)
	Skipped       uint64 // versions watchers never saw because a newer one won (Versioned)
	TryFailed     uint64 // TryRead and TryWrite calls that did not get the lock (Locked)
}

// counters are the live, atomically updated Stats.
type counters struct {
	writes, failed, clones, delivered, skipped, tryFailed atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Writes:        c.writes.Load(),
		FailedUpdates: c.failed.Load(),
		Clones:        c.clones.Load(),
		Delivered:     c.delivered.Load(),
		Skipped:       c.skipped.Load(),
		TryFailed:     c.tryFailed.Load(),
	}
}
