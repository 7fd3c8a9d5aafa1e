package main

import "github.com/dgraph-io/ristretto/v2"

// ristrettoSim runs ristretto v2 with unit costs and Wait after every Set,
// so no write is dropped by its buffers.
type ristrettoSim struct {
	c *ristretto.Cache[uint64, uint64]
}

func newRistretto(capacity int) simCache {
	c, err := ristretto.NewCache(&ristretto.Config[uint64, uint64]{
		NumCounters:        int64(10 * capacity),
		MaxCost:            int64(capacity),
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		panic(err)
	}
	return &ristrettoSim{c}
}

func (s *ristrettoSim) Get(key uint64) bool {
	_, ok := s.c.Get(key)
	return ok
}

func (s *ristrettoSim) Set(key uint64) {
	s.c.Set(key, key, 1)
	s.c.Wait()
}

func (s *ristrettoSim) Close() { s.c.Close() }
