// Package belady computes the hit ratio of Bélády's optimal offline
// replacement (MIN) for a request trace: on a miss with a full cache it
// evicts the key whose next request is farthest in the future, or bypasses
// the new key when that one is requested later than every cached key.
//
// # Caveats
//
// It needs the whole trace in memory plus 4 bytes per request for the
// next-use table; it runs in O(n log c) for n requests and capacity c.
package belady

import "container/heap"

// never is the next use of a key that is not requested again.
const never = int32(1<<31 - 1)

// NextUse returns, for every request i, the index of the next request of
// the same key, or MaxInt32 when there is none. Traces must have fewer than
// 2^31-1 requests.
func NextUse(keys []uint64) []int32 {
	next := make([]int32, len(keys))
	last := make(map[uint64]int32, 1024)
	for i := len(keys) - 1; i >= 0; i-- {
		if j, ok := last[keys[i]]; ok {
			next[i] = j
		} else {
			next[i] = never
		}
		last[keys[i]] = int32(i)
	}
	return next
}

// Hits replays keys against an optimal cache of the given capacity (in
// entries) and returns the number of hits. next must be NextUse(keys).
func Hits(keys []uint64, next []int32, capacity int) int {
	if capacity <= 0 {
		return 0
	}
	cached := make(map[uint64]int32, capacity) // key → its next use
	h := &maxHeap{}
	hits := 0
	for i, k := range keys {
		n := next[i]
		if _, ok := cached[k]; ok {
			hits++
			cached[k] = n
			heap.Push(h, item{k, n})
			if len(*h) > 4*capacity+1024 {
				h.compact(cached)
			}
			continue
		}
		if len(cached) >= capacity {
			top := h.peekLive(cached)
			if top.next <= n {
				continue // the new key is needed last: bypass it
			}
			heap.Pop(h)
			delete(cached, top.key)
		}
		cached[k] = n
		heap.Push(h, item{k, n})
		if len(*h) > 4*capacity+1024 {
			h.compact(cached)
		}
	}
	return hits
}

// compact rebuilds the heap from the live items only.
func (h *maxHeap) compact(cached map[uint64]int32) {
	live := (*h)[:0]
	for _, it := range *h {
		if n, ok := cached[it.key]; ok && n == it.next {
			live = append(live, it)
		}
	}
	*h = live
	heap.Init(h)
}

type item struct {
	key  uint64
	next int32
}

// maxHeap orders items by next use, farthest first. Stale items (a key's
// older next use) are skipped lazily.
type maxHeap []item

func (h maxHeap) Len() int           { return len(h) }
func (h maxHeap) Less(i, j int) bool { return h[i].next > h[j].next }
func (h maxHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *maxHeap) Push(x any)        { *h = append(*h, x.(item)) }
func (h *maxHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// peekLive drops stale items from the top and returns the live maximum.
func (h *maxHeap) peekLive(cached map[uint64]int32) item {
	for {
		top := (*h)[0]
		if n, ok := cached[top.key]; ok && n == top.next {
			return top
		}
		heap.Pop(h)
	}
}
