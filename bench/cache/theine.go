package cache

import "github.com/Yiling-J/theine-go"

type theineCache struct{ c *theine.Cache[uint64, uint64] }

func newTheine(capacity int) Cache {
	c, err := theine.NewBuilder[uint64, uint64](int64(capacity)).Build()
	if err != nil {
		panic(err)
	}
	return theineCache{c}
}

func (t theineCache) Get(k uint64) (uint64, bool) { return t.c.Get(k) }
func (t theineCache) Set(k, v uint64)             { t.c.Set(k, v, 1) }
func (t theineCache) Close()                      { t.c.Close() }
func (t theineCache) Delete(k uint64)             { t.c.Delete(k) }
