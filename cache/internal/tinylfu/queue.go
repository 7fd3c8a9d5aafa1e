package tinylfu

// none marks the absence of a slot in links and cursors.
const none = ^uint32(0)

// Queue identifiers stored in node.queue.
const (
	qNone uint8 = iota
	qWindow
	qProbation
	qProtected
)

// node is the per-slot state. Nodes live in Policy.nodes indexed by slot
// and are linked into one of the three LRU queues. 24 bytes: an entry's
// weight is not here but in Policy.weights, which stores nothing while
// every weight is 1.
type node struct {
	hash  uint64
	prev  uint32
	next  uint32
	stamp uint32 // Policy.ticks at the entry's last request
	queue uint8
}

// weightOf returns the weight of the entry in slot s.
func (p *Policy) weightOf(s uint32) int64 { return p.weights.Of(s) }

// setWeight records the weight of the entry in slot s, switching the policy
// to weighted when it is not 1.
func (p *Policy) setWeight(s uint32, w int64) {
	if w != 1 {
		p.weighted = true
	}
	p.weights.Set(s, w)
}

// queue is an intrusive doubly linked LRU list over Policy.nodes: head is
// the least recently used entry, tail the most recently used.
type queue struct {
	head, tail uint32
	weight     int64
	len        int
}

func newQueue() queue { return queue{head: none, tail: none} }

// pushBack links slot s as the most recently used entry of q.
func (p *Policy) pushBack(q *queue, id uint8, s uint32) {
	n := &p.nodes[s]
	n.queue, n.prev, n.next = id, q.tail, none
	if q.tail == none {
		q.head = s
	} else {
		p.nodes[q.tail].next = s
	}
	q.tail = s
	q.weight += p.weightOf(s)
	q.len++
}

// pushFront links slot s as the least recently used entry of q.
func (p *Policy) pushFront(q *queue, id uint8, s uint32) {
	n := &p.nodes[s]
	n.queue, n.prev, n.next = id, none, q.head
	if q.head == none {
		q.tail = s
	} else {
		p.nodes[q.head].prev = s
	}
	q.head = s
	q.weight += p.weightOf(s)
	q.len++
}

// unlink removes slot s from q.
func (p *Policy) unlink(q *queue, s uint32) {
	n := &p.nodes[s]
	if n.prev == none {
		q.head = n.next
	} else {
		p.nodes[n.prev].next = n.next
	}
	if n.next == none {
		q.tail = n.prev
	} else {
		p.nodes[n.next].prev = n.prev
	}
	n.prev, n.next, n.queue = none, none, qNone
	q.weight -= p.weightOf(s)
	q.len--
}

// moveToBack makes s the most recently used entry of q (s must be in q).
func (p *Policy) moveToBack(q *queue, s uint32) {
	if q.tail == s {
		return
	}
	id := p.nodes[s].queue
	p.unlink(q, s)
	p.pushBack(q, id, s)
}

// queueOf returns the queue identified by id.
func (p *Policy) queueOf(id uint8) *queue {
	switch id {
	case qWindow:
		return &p.window
	case qProbation:
		return &p.probation
	case qProtected:
		return &p.protected
	}
	return nil
}
