package main

import theine "github.com/Yiling-J/theine-go"

// theineSim runs theine. Its writes go through a channel to its own
// maintenance goroutine, which evicts; the simulator waits for it after
// every Set in both -sync modes. Theine has no synchronous drain point of
// its own: a new entry is readable before its write reaches the policy, so
// without the wait the cache holds more entries than its capacity while the
// goroutine lags (it beat Bélády's optimum on lirs-loop at 1,000 entries
// when waiting after every 64th Set only). Reads are buffered in stripes
// chosen at random and reach the policy when a stripe fills, so theine's
// results vary slightly between runs.
type theineSim struct {
	c *theine.Cache[uint64, uint64]
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
	s.c.Wait()
}

func (s *theineSim) Close() { s.c.Close() }
