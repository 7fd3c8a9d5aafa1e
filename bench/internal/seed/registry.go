package seed

import (
	"container/heap"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The seed's timing constants.
const (
	ShutdownGracePeriod = 100 * time.Millisecond // SHUTDOWN_GRACE_PERIOD_MS
	CleanupPollInterval = 10 * time.Millisecond  // CLEANUP_POLL_INTERVAL_MS
)

// Registry is the seed's ResourceRegistry. All methods are safe for
// concurrent use. Call Close when done with it (the Go stand-in for dropping
// the Rust value); Shutdown alone leaves queued requests behind, as the seed
// did.
type Registry struct {
	mu     sync.RWMutex // protects following field (the seed's Arc<RwLock<HashMap>>)
	active map[ID]Info

	queue        *queue
	shutdown     atomic.Bool
	cleanupCount atomic.Uint32
	done         chan struct{} // closed when the worker returns

	// Instrumentation the seed did not have.
	idleWakeups atomic.Uint64 // poll timeouts: the worker woke with nothing to do
	failures    atomic.Uint64 // cleanups that returned an error (the seed only logged them)
	forgotten   atomic.Uint64 // requests dropped unrun when the worker ended
	workerPanic atomic.Value  // the panic that killed the worker, if any
}

// NewRegistry is ResourceRegistry::new: it starts the cleanup worker.
// The seed's Monitor argument was unused ("TODO: integrate") and is omitted.
func NewRegistry() *Registry {
	r := &Registry{
		active: make(map[ID]Info),
		queue:  newQueue(),
		done:   make(chan struct{}),
	}
	go r.run()
	return r
}

// Register records a resource. The shutdown check and the insert are not
// atomic together.
//
// SEED FLAW: a Register that races Shutdown can insert after the map was
// cleared; nothing will ever clean that resource.
func (r *Registry) Register(id ID, info Info) error {
	if r.shutdown.Load() {
		return ErrShuttingDown
	}
	r.mu.Lock()
	r.active[id] = info
	r.mu.Unlock()
	return nil
}

// Unregister removes a resource and returns its info. It does not run any
// cleanup: in the seed, guard and registry were not connected, so a caller
// ran the guard's cleanup and then unregistered by hand.
func (r *Registry) Unregister(id ID) (Info, bool) {
	r.mu.Lock()
	info, ok := r.active[id]
	delete(r.active, id)
	r.mu.Unlock()
	return info, ok
}

// Info is get_resource_info.
func (r *Registry) Info(id ID) (Info, bool) {
	r.mu.RLock()
	info, ok := r.active[id]
	r.mu.RUnlock()
	return info, ok
}

// ActiveCount is active_count.
func (r *Registry) ActiveCount() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.active)
}

// ScheduleCleanup is schedule_cleanup: it queues req for the worker and
// never blocks. It reports false when the worker has ended (the seed logged
// a warning and dropped the request).
func (r *Registry) ScheduleCleanup(req Request) bool {
	if !r.queue.send(req) {
		r.forgotten.Add(1)
		return false
	}
	return true
}

// ForceCleanupAll is force_cleanup_all.
//
// SEED FLAW: it schedules a no-op cleanup for every registered resource, so
// resources leave the map without their real cleanup ever running.
func (r *Registry) ForceCleanupAll() (int, error) {
	if r.shutdown.Load() {
		return 0, ErrShuttingDown
	}
	r.mu.RLock()
	ids := make([]ID, 0, len(r.active))
	for id := range r.active {
		ids = append(ids, id)
	}
	r.mu.RUnlock()
	for _, id := range ids {
		r.ScheduleCleanup(Request{ID: id, Cleanup: func() error { return nil }, Priority: High})
	}
	return len(ids), nil
}

// IsHealthy is is_healthy.
func (r *Registry) IsHealthy() bool { return !r.shutdown.Load() }

// CleanupCount is cleanup_count: successful cleanups so far.
func (r *Registry) CleanupCount() uint32 { return r.cleanupCount.Load() }

// Shutdown is shutdown.
//
// SEED FLAW: the flag is set before ForceCleanupAll, which therefore returns
// ErrShuttingDown at once and does nothing (the error was discarded).
// SEED FLAW: it then sleeps a fixed 100 ms whatever is queued, and clears the
// map: every resource still registered is forgotten, its cleanup never run,
// and nothing reports it. Seeing the flag, the worker runs what is in its
// heap (nothing: it is empty at the top of each iteration) and exits,
// leaving the queue unread.
func (r *Registry) Shutdown() {
	r.shutdown.Store(true)
	_, _ = r.ForceCleanupAll()
	time.Sleep(ShutdownGracePeriod)
	r.mu.Lock()
	clear(r.active)
	r.mu.Unlock()
}

// Close stands for dropping the Rust registry (instrumentation: Go has no
// drop). The worker finishes the requests still queued, one per iteration,
// and exits; Close waits for it.
func (r *Registry) Close() {
	r.queue.close()
	<-r.done
}

// IdleWakeups reports how many times the worker's 10 ms poll expired with
// nothing received (instrumentation).
func (r *Registry) IdleWakeups() uint64 { return r.idleWakeups.Load() }

// Failures reports how many cleanups returned an error (instrumentation).
func (r *Registry) Failures() uint64 { return r.failures.Load() }

// Forgotten reports how many queued requests were dropped without running
// because the worker had ended (instrumentation).
func (r *Registry) Forgotten() uint64 { return r.forgotten.Load() }

// WorkerPanic returns the panic value that killed the worker, or nil
// (instrumentation).
func (r *Registry) WorkerPanic() any { return r.workerPanic.Load() }

// run is start_cleanup_task's loop.
func (r *Registry) run() {
	defer close(r.done)
	defer r.recoverWorker()
	var pending requestHeap
	t := time.NewTimer(CleanupPollInterval)
	t.Stop()
	for {
		if r.shutdown.Load() {
			for pending.Len() > 0 {
				r.process(heap.Pop(&pending).(Request))
			}
			r.forgotten.Add(uint64(r.queue.discard()))
			return
		}
		// SEED FLAW: when idle, the worker wakes every 10 ms to find nothing
		// (100 wake-ups a second, forever).
		req, res := r.queue.recv(CleanupPollInterval, t)
		switch res {
		case received:
			heap.Push(&pending, req)
		case closedEmpty:
			return
		case timedOut:
			r.idleWakeups.Add(1)
		}
		// SEED FLAW: one request in, one out: the heap never holds more than
		// one request, so "priority" is in fact arrival order and a Critical
		// request waits behind every request queued before it.
		// SEED FLAW: one worker runs every cleanup, one at a time; a slow
		// cleanup holds up all the others, and nothing bounds its duration.
		if pending.Len() > 0 {
			r.process(heap.Pop(&pending).(Request))
		}
	}
}

// recoverWorker mirrors tokio catching a panic at the task boundary: the
// cleanup task ends, its JoinHandle (dropped by the seed) holds the error.
//
// SEED FLAW: one panicking cleanup kills the only worker; every later
// request is queued forever and nothing reports it.
func (r *Registry) recoverWorker() {
	if v := recover(); v != nil {
		r.workerPanic.Store(fmt.Sprint(v))
		r.forgotten.Add(uint64(r.queue.discard()))
	}
}

// process is process_cleanup_request. The seed also measured the duration
// for a debug log line; logging is left out.
//
// SEED FLAW: a failed cleanup is logged and dropped: no retry, no fallback
// (though CleanupError had a recovery_strategy), and the resource stays in
// the map as if live until Shutdown clears it.
func (r *Registry) process(req Request) {
	if err := req.Cleanup(); err != nil {
		r.failures.Add(1)
		return
	}
	r.cleanupCount.Add(1)
	r.mu.Lock()
	delete(r.active, req.ID)
	r.mu.Unlock()
}
