package cache

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// newBiasCache returns a cache of pairs; keys 0..n-1 are stored as {k, k}.
// The caller closes it.
func newBiasCache(t interface{ Fatal(...any) }, n int) *Cache[int, [2]uint64] {
	c, err := New(&Options[int, [2]uint64]{MaxEntries: 4 * n})
	if err != nil {
		t.Fatal(err)
	}
	for k := range n {
		c.Set(k, [2]uint64{uint64(k), uint64(k)})
	}
	return c
}

// biasedCache returns a cache holding key 0 and key 0's shard, biased.
func biasedCache(t *testing.T) (*Cache[int, [2]uint64], *shard[int]) {
	c := newBiasCache(t, 1)
	sh := c.shardFor(0)
	sh.biased.Store(true)
	return c, sh
}

// shardFor returns the shard that holds k.
func (c *Cache[K, V]) shardFor(k K) *shard[K] { return c.shardOf(c.hash(k)) }

// TestBiasGrantedAfterReadsRevokedByWrite: a shard becomes biased after
// biasAfter reads with no write in between, a write to it clears the bias,
// and a write before the count is reached starts the count again.
func TestBiasGrantedAfterReadsRevokedByWrite(t *testing.T) {
	c := newBiasCache(t, 1)
	defer c.Close()
	sh, after := c.shardFor(0), int(c.biasAfter())
	read := func(n int) {
		for range n {
			if v, ok := c.Get(0); !ok || v != [2]uint64{0, 0} {
				t.Fatalf("Get(0) = %v, %v", v, ok)
			}
		}
	}
	read(after - 1)
	if sh.biased.Load() {
		t.Fatalf("biased after %d reads, want after %d", after-1, after)
	}
	c.Set(0, [2]uint64{0, 0}) // a write: the count starts again
	read(after - 1)
	if sh.biased.Load() {
		t.Fatalf("biased after a write and %d reads, want after %d", after-1, after)
	}
	read(1)
	if !sh.biased.Load() {
		t.Fatalf("not biased after %d reads", after)
	}
	before := sh.slowReads.Load()
	read(10)
	if got := sh.slowReads.Load(); got != before {
		t.Errorf("biased reads took the read lock: %d slow reads", got-before)
	}
	c.Set(0, [2]uint64{0, 0})
	if sh.biased.Load() {
		t.Error("still biased after a write")
	}
}

// TestRevokeWaitsForBiasedReader: a writer to a biased shard does not get
// in while a reader is inside through the bias, and gets in once it left.
func TestRevokeWaitsForBiasedReader(t *testing.T) {
	c, sh := biasedCache(t)
	defer c.Close()
	st := &c.stripes[0]
	if !sh.tryBiased(st) {
		t.Fatal("tryBiased refused a biased shard with a free stripe")
	}
	var in atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.lockShard(sh)
		in.Store(true)
		sh.mu.Unlock()
	}()
	for range 1000 {
		runtime.Gosched()
		if in.Load() {
			t.Fatal("the writer got in while a biased reader was inside")
		}
	}
	if sh.biased.Load() {
		t.Error("the waiting writer has not revoked the bias")
	}
	if sh.tryBiased(&c.stripes[1]) {
		t.Error("a new reader got in through the bias while a writer waits")
	}
	leaveBiased(st)
	<-done
	if !in.Load() {
		t.Error("the writer did not get in after the reader left")
	}
}

// TestBiasedStripeTaken: a reader whose stripe another reader holds takes
// the read lock, and reads correctly.
func TestBiasedStripeTaken(t *testing.T) {
	c, sh := biasedCache(t)
	defer c.Close()
	for i := range c.stripes {
		c.stripes[i].reading.Store(^uint32(0)) // every stripe busy
	}
	before := sh.slowReads.Load()
	if v, ok := c.Get(0); !ok || v != [2]uint64{0, 0} {
		t.Fatalf("Get(0) = %v, %v", v, ok)
	}
	if sh.slowReads.Load() != before {
		t.Error("a read of a biased shard was counted as a slow read")
	}
	for i := range c.stripes {
		c.stripes[i].reading.Store(0)
	}
}

// TestBiasedReadersSeeWholeValues: readers of hot keys, biased most of the
// time, against a writer that replaces, deletes and re-adds them, each time
// once their shard is biased (so that every write revokes a bias). Every value read is whole (both halves equal) and
// one that was written; under -race, a reader that is not excluded from a
// writer is a reported race.
func TestBiasedReadersSeeWholeValues(t *testing.T) {
	const keys, readers, writes = 4, 4, 60
	c := newBiasCache(t, keys)
	defer c.Close()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Int64
	for r := range readers {
		wg.Go(func() {
			for i := r; !stop.Load(); i++ {
				k := i % keys
				if v, ok := c.Get(k); ok && (v[0] != v[1] || v[0]%keys != uint64(k)) {
					bad.Add(1)
				}
			}
		})
	}
	for i := range writes {
		k := i % keys
		sh := c.shardFor(k)
		for deadline := time.Now().Add(10 * time.Second); !sh.biased.Load(); {
			if time.Now().After(deadline) {
				stop.Store(true)
				wg.Wait()
				t.Fatalf("write %d: the readers never biased key %d's shard", i, k)
			}
			runtime.Gosched() // let the readers bias it
		}
		v := uint64(k + keys*(i+1))
		switch i % 3 {
		case 0, 1:
			c.Set(k, [2]uint64{v, v})
		case 2:
			c.Delete(k)
			c.Set(k, [2]uint64{v, v})
		}
	}
	stop.Store(true)
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Errorf("%d reads returned a torn or foreign value", n)
	}
}

// TestBiasCountModel checks the bias decision against a model: a shard is
// biased once it has had biasAfter slow reads since the last write, and no
// longer after a write.
func TestBiasCountModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c := newBiasCache(t, 1)
		defer c.Close()
		sh := c.shardFor(0)
		after := int(c.biasAfter())
		since, biased := 0, false // the model
		for range rapid.IntRange(1, 12).Draw(t, "steps") {
			if rapid.Bool().Draw(t, "write") {
				c.Set(0, [2]uint64{0, 0})
				since, biased = 0, false
			} else {
				n := rapid.IntRange(1, after).Draw(t, "reads")
				for range n {
					c.Get(0)
				}
				if !biased {
					since += n
					biased = since >= after
				}
			}
			if got := sh.biased.Load(); got != biased {
				t.Fatalf("biased = %v, model %v (%d reads since the last write, bias after %d)", got, biased, since, after)
			}
		}
	})
}
