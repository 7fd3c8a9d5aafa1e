package seed

import "container/heap"

// requestHeap is the seed's BinaryHeap<Reverse<CleanupRequest>>, ordered by
// priority only.
//
// SEED FLAW: Rust's BinaryHeap is already a max-heap; wrapping requests in
// Reverse (commented "for max-heap behavior") made it a min-heap, so the seed
// popped the LOWEST priority first. Transcribed as written. (It cannot show:
// the worker pushes at most one request and then pops one in every
// iteration, so the heap never holds two and its order is never consulted.)
//
// SEED FLAW: a binary heap is not stable: equal priorities come out in no
// particular order.
type requestHeap []Request

var _ heap.Interface = (*requestHeap)(nil)

func (h requestHeap) Len() int           { return len(h) }
func (h requestHeap) Less(i, j int) bool { return h[i].Priority < h[j].Priority }
func (h requestHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *requestHeap) Push(x any)        { *h = append(*h, x.(Request)) }

func (h *requestHeap) Pop() any {
	old := *h
	n := len(old)
	r := old[n-1]
	old[n-1] = Request{}
	*h = old[:n-1]
	return r
}
