package seed

import (
	"testing"

	"pgregory.net/rapid"
)

// TestQueueModel checks the unbounded queue against a slice: FIFO order,
// nothing lost, nothing accepted after close, queued items still received
// after close, discard drops exactly what was queued.
func TestQueueModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		q := newQueue()
		var model []int
		closed := false
		next := 0
		t.Repeat(map[string]func(*rapid.T){
			"send": func(t *rapid.T) {
				ok := q.send(Request{Priority: Priority(next)})
				if ok == closed {
					t.Fatalf("send after close=%v returned %v", closed, ok)
				}
				if ok {
					model = append(model, next)
				}
				next++
			},
			"recv": func(t *rapid.T) {
				r, res, ok := q.tryRecv()
				switch {
				case len(model) > 0:
					if !ok || res != received || int(r.Priority) != model[0] {
						t.Fatalf("tryRecv = %v, %v, %v; want item %d", r.Priority, res, ok, model[0])
					}
					model = model[1:]
				case closed:
					if !ok || res != closedEmpty {
						t.Fatalf("tryRecv on closed empty queue = %v, %v; want closedEmpty", res, ok)
					}
				default:
					if ok {
						t.Fatalf("tryRecv on open empty queue: ok, want none")
					}
				}
			},
			"close": func(t *rapid.T) {
				q.close()
				closed = true
			},
			"discard": func(t *rapid.T) {
				if got := q.discard(); got != len(model) {
					t.Fatalf("discard = %d, want %d", got, len(model))
				}
				model, closed = nil, true
			},
		})
	})
}
