package cache

import "github.com/dgraph-io/ristretto/v2"

type ristrettoCache struct {
	c *ristretto.Cache[uint64, uint64]
}

func newRistretto(capacity int) Cache {
	c, err := ristretto.NewCache(&ristretto.Config[uint64, uint64]{
		NumCounters: int64(capacity) * 10,
		MaxCost:     int64(capacity),
		BufferItems: 64,
		// count entries, not entries plus ristretto's own bookkeeping
		IgnoreInternalCost: true,
	})
	if err != nil {
		panic(err)
	}
	return ristrettoCache{c}
}

func (r ristrettoCache) Get(k uint64) (uint64, bool) { return r.c.Get(k) }
func (r ristrettoCache) Set(k, v uint64)             { r.c.Set(k, v, 1) }
func (r ristrettoCache) Close()                      { r.c.Close() }
func (r ristrettoCache) Delete(k uint64)             { r.c.Del(k) }

// Wait applies buffered Sets (used by the memory benchmark).
func (r ristrettoCache) Wait() { r.c.Wait() }
