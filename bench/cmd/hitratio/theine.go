package main

import theine "github.com/Yiling-J/theine-go"

// theineSim runs theine. Its writes go through a channel to its own
// maintenance goroutine; with -sync=op the simulator waits for them after
// every Set, with -sync=batch after every 64 Sets (the cache may then run
// over its capacity by up to 64 entries in between). Reads are buffered in
// stripes chosen at random, so theine's results vary slightly between runs.
type theineSim struct {
	c    *theine.Cache[uint64, uint64]
	sets int
}

func newTheine(capacity int) simCache {
	c, err := theine.NewBuilder[uint64, uint64](int64(capacity)).Build()
	if err != nil {
		panic(err)
	}
	return &theineSim{c: c}
}

func (s *theineSim) Get(key uint64) bool {
	_, ok := s.c.Get(key)
	return ok
}

func (s *theineSim) Set(key uint64) {
	s.c.Set(key, key, 1)
	s.sets++
	if syncMode == syncOp || s.sets%64 == 0 {
		s.c.Wait()
	}
}

func (s *theineSim) Close() { s.c.Close() }
