package main

import "github.com/maypok86/otter/v2"

// otterSim runs otter v2 with an inline executor, so every maintenance pass
// runs synchronously on the replaying goroutine. With -sync=op it also
// calls CleanUp after every operation, so buffered reads reach the policy
// at once; with -sync=batch reads are applied when otter drains its read
// buffer (on writes and when the buffer fills), as in production.
type otterSim struct {
	c       *otter.Cache[uint64, uint64]
	cleanUp bool
}

func newOtter(capacity int) simCache {
	c := otter.Must(&otter.Options[uint64, uint64]{
		MaximumSize: capacity,
		Executor:    func(fn func()) { fn() },
	})
	return &otterSim{c: c, cleanUp: syncMode == syncOp}
}

func (s *otterSim) Get(key uint64) bool {
	_, ok := s.c.GetIfPresent(key)
	if s.cleanUp {
		s.c.CleanUp()
	}
	return ok
}

func (s *otterSim) Set(key uint64) {
	s.c.Set(key, key)
	if s.cleanUp {
		s.c.CleanUp()
	}
}

func (s *otterSim) Close() { s.c.StopAllGoroutines() }
