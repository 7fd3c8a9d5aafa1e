package waitq

import (
	"testing"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQueueModel checks the queue against a slice under random Enqueue,
// Take (+Send), Grant and Remove.
func TestQueueModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q Queue[int]
		var model []*Waiter[int]
		next := 0
		t.Repeat(map[string]func(*rapid.T){
			"Enqueue": func(t *rapid.T) {
				model = append(model, q.Enqueue())
			},
			"Take": func(t *rapid.T) {
				w := q.Take()
				if len(model) == 0 {
					if w != nil {
						t.Fatal("Take on an empty queue returned a waiter")
					}
					return
				}
				if w != model[0] {
					t.Fatal("Take did not return the oldest waiter")
				}
				model = model[1:]
				next++
				w.Send(next)
				if got := <-w.C(); got != next {
					t.Fatalf("received %d, want %d", got, next)
				}
				q.Recycle(w)
			},
			"Grant": func(t *rapid.T) {
				next++
				w, ok := q.Grant(next)
				if ok != (len(model) > 0) {
					t.Fatalf("Grant ok = %v with %d queued", ok, len(model))
				}
				if !ok {
					return
				}
				if w != model[0] || w.Queued() {
					t.Fatal("Grant did not dequeue the oldest waiter")
				}
				model = model[1:]
				if got := <-w.C(); got != next {
					t.Fatalf("received %d, want %d", got, next)
				}
			},
			"Remove": func(t *rapid.T) {
				if len(model) == 0 {
					t.Skip("empty")
				}
				i := rapid.IntRange(0, len(model)-1).Draw(t, "i")
				w := model[i]
				if !q.Remove(w) {
					t.Fatal("Remove of a queued waiter returned false")
				}
				if q.Remove(w) {
					t.Fatal("second Remove returned true")
				}
				model = append(model[:i], model[i+1:]...)
			},
			"": func(t *rapid.T) {
				if q.Len() != len(model) {
					t.Fatalf("Len = %d, want %d", q.Len(), len(model))
				}
				if len(model) > 0 && q.Front() != model[0] {
					t.Fatal("Front is not the oldest waiter")
				}
			},
		})
	})
}
