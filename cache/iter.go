package cache

import "iter"

// All returns an iterator over the live entries. Each shard is copied under
// its read lock and yielded with no lock held, so the loop body may use the
// cache; entries set or removed during the iteration may or may not be seen.
// An entry whose deadline has passed when it would be yielded is skipped.
func (c *Cache[K, V]) All() iter.Seq2[K, V] {
	type item struct {
		k        K
		v        V
		deadline int64
	}
	return func(yield func(K, V) bool) {
		var batch []item
		for i := range c.shards {
			sh := &c.shards[i]
			batch = batch[:0]
			sh.mu.RLock()
			sh.index.All(func(s uint32) {
				ch, j := c.chunkOf(s), s&(chunkLen-1)
				batch = append(batch, item{ch.kv[j].key, ch.kv[j].value, ch.deadline(j)})
			})
			sh.mu.RUnlock()
			for _, it := range batch {
				if it.deadline != 0 && it.deadline <= c.now() {
					continue
				}
				if !yield(it.k, it.v) {
					return
				}
			}
		}
	}
}
