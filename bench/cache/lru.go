package cache

import lru "github.com/hashicorp/golang-lru/v2"

type lruCache struct{ c *lru.Cache[uint64, uint64] }

func newLRU(capacity int) Cache {
	c, err := lru.New[uint64, uint64](capacity)
	if err != nil {
		panic(err)
	}
	return lruCache{c}
}

func (l lruCache) Get(k uint64) (uint64, bool) { return l.c.Get(k) }
func (l lruCache) Set(k, v uint64)             { l.c.Add(k, v) }
func (l lruCache) Close()                      {}
func (l lruCache) Delete(k uint64)             { l.c.Remove(k) }
