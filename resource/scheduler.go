package resource

import "sync"

// scheduler runs claimed entries on a bounded pool of workers. It keeps one
// FIFO lane per priority and always serves the highest non-empty lane
// (strict priority between lanes, FIFO inside one). It is event-driven:
// enqueue starts a worker when every existing worker is busy and the bound
// allows one more, and a worker exits as soon as every lane is empty, so an
// idle scheduler has no goroutine and nothing polls.
type scheduler struct {
	r   *Registry
	max int
	wg  sync.WaitGroup // one count per live worker goroutine

	mu      sync.Mutex // protects following fields
	lanes   [numPriorities]ring
	queued  int
	running int
	workers int
	stopped bool
}

func (s *scheduler) init(r *Registry, workers int) {
	s.r = r
	s.max = workers
}

// enqueue appends a claimed entry to its lane. After stop it abandons the
// entry instead: it stays claimed and unfinished, Shutdown reports it, and
// whoever waits for it is woken (abandon).
func (s *scheduler) enqueue(e *entry) { s.enqueueAll([]*entry{e}) }

// enqueueAll appends entries under one lock acquisition, so that workers
// see them all at once and serve them in lane order.
func (s *scheduler) enqueueAll(es []*entry) {
	now := s.r.now()
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		for _, e := range es {
			abandon(e)
		}
		return
	}
	for _, e := range es {
		e.setState(stQueued)
		s.lanes[e.prio].push(queued{e, now})
		s.queued++
	}
	spawn := 0
	for s.workers < s.max && s.workers-s.running < s.queued {
		s.workers++
		spawn++
	}
	s.wg.Add(spawn)
	s.mu.Unlock()
	for ; spawn > 0; spawn-- {
		go s.work()
	}
}

// work is a worker goroutine: it runs entries until the lanes are empty.
func (s *scheduler) work() {
	defer s.wg.Done()
	exited := false
	defer func() {
		if !exited { // a cleanup called runtime.Goexit
			s.workerLost()
		}
	}()
	s.mu.Lock()
	for {
		e := s.popLocked()
		if e == nil {
			s.workers--
			s.mu.Unlock()
			exited = true
			return
		}
		s.running++
		s.mu.Unlock()
		s.r.step(e)
		s.mu.Lock()
		s.running--
	}
}

// workerLost accounts for a worker that exited in the middle of an entry
// and starts a replacement if work is waiting.
func (s *scheduler) workerLost() {
	s.mu.Lock()
	s.running--
	s.workers--
	spawn := !s.stopped && s.queued > 0
	if spawn {
		s.workers++
		s.wg.Add(1)
	}
	s.mu.Unlock()
	if spawn {
		go s.work()
	}
}

func (s *scheduler) popLocked() *entry {
	if s.stopped {
		return nil
	}
	for p := Critical; p >= Low; p-- {
		if e := s.lanes[p].pop(); e != nil {
			s.queued--
			return e
		}
	}
	return nil
}

// stop makes workers exit after their current entry and drops what is
// queued, abandoning it (see abandon).
func (s *scheduler) stop() {
	var dropped []*entry
	s.mu.Lock()
	s.stopped = true
	for i := range s.lanes {
		for e := s.lanes[i].pop(); e != nil; e = s.lanes[i].pop() {
			dropped = append(dropped, e)
		}
		s.lanes[i] = ring{}
	}
	s.queued = 0
	s.mu.Unlock()
	for _, e := range dropped {
		abandon(e)
	}
}

type laneStats struct {
	queued   [numPriorities]int
	running  int
	workers  int
	oldestAt int64 // registry clock of the oldest queued entry; -1 if none
}

func (s *scheduler) stats() laneStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := laneStats{running: s.running, workers: s.workers, oldestAt: -1}
	for p := range s.lanes {
		l := &s.lanes[p]
		st.queued[p] = l.n
		if q, ok := l.peek(); ok && (st.oldestAt < 0 || q.at < st.oldestAt) {
			st.oldestAt = q.at
		}
	}
	return st
}

// compact shrinks the lanes' queues at once if they are mostly empty
// (Registry.compact).
func (s *scheduler) compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.lanes {
		q := &s.lanes[i]
		if c := q.shrink.now(q.n, len(q.buf)); c > 0 {
			q.resize(c)
		}
	}
}

// queued is an entry in a lane with the registry-clock time it was queued.
type queued struct {
	e  *entry
	at int64
}

// ring is a growable FIFO queue.
type ring struct {
	buf    []queued
	head   int
	n      int
	shrink gate // when buf gives a burst's memory back
}

func (q *ring) push(e queued) {
	if q.n == len(q.buf) {
		q.resize(max(8, 2*len(q.buf)))
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
}

// resize moves the queued entries, oldest first, to a buffer of size n.
func (q *ring) resize(n int) {
	nb := make([]queued, n)
	for i := 0; i < q.n; i++ {
		nb[i] = q.buf[(q.head+i)%len(q.buf)]
	}
	q.buf, q.head = nb, 0
}

func (q *ring) pop() *entry {
	if q.n == 0 {
		return nil
	}
	e := q.buf[q.head].e
	q.buf[q.head] = queued{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if c := q.shrink.removed(q.n, len(q.buf)); c > 0 {
		q.resize(c) // after a burst (shrink.go)
	}
	return e
}

func (q *ring) peek() (queued, bool) {
	if q.n == 0 {
		return queued{}, false
	}
	return q.buf[q.head], true
}
