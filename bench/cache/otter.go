package cache

import "github.com/maypok86/otter/v2"

type otterCache struct{ c *otter.Cache[uint64, uint64] }

func newOtter(capacity int) Cache {
	return otterCache{otter.Must(&otter.Options[uint64, uint64]{MaximumSize: capacity})}
}

func (o otterCache) Get(k uint64) (uint64, bool) { return o.c.GetIfPresent(k) }
func (o otterCache) Set(k, v uint64)             { o.c.Set(k, v) }
func (o otterCache) Close()                      { o.c.StopAllGoroutines() }
func (o otterCache) Delete(k uint64)             { o.c.Invalidate(k) }
