package cache

import ours "github.com/patinox/memory/cache"

type patinox struct{ c *ours.Cache[uint64, uint64] }

func newOurs(capacity int) Cache {
	c, err := ours.New(&ours.Options[uint64, uint64]{MaxEntries: capacity})
	if err != nil {
		panic(err)
	}
	return patinox{c}
}

func (p patinox) Get(k uint64) (uint64, bool) { return p.c.Get(k) }
func (p patinox) Set(k, v uint64)             { p.c.Set(k, v) }
func (p patinox) Close()                      { p.c.Close() }
func (p patinox) Delete(k uint64)             { p.c.Delete(k) }
