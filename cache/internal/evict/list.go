package evict

import "github.com/patinox/memory/cache/internal/trim"

// list is a doubly-linked list of slots stored in two slices: index 0 is the
// sentinel and slot s lives at index s+1. The front is the oldest element.
type list struct {
	prev, next []uint32
}

func newList() list {
	return list{prev: []uint32{0}, next: []uint32{0}}
}

func (l *list) ensure(slot uint32) {
	for len(l.next) <= int(slot)+1 {
		l.next = append(l.next, 0)
		l.prev = append(l.prev, 0)
	}
}

// pushBack appends slot (which must not be in the list) at the back.
func (l *list) pushBack(slot uint32) {
	l.ensure(slot)
	i := slot + 1
	last := l.prev[0]
	l.prev[i], l.next[i] = last, 0
	l.next[last] = i
	l.prev[0] = i
}

// remove unlinks slot.
func (l *list) remove(slot uint32) {
	i := slot + 1
	p, n := l.prev[i], l.next[i]
	l.next[p] = n
	l.prev[n] = p
}

// moveToBack makes slot the newest element.
func (l *list) moveToBack(slot uint32) {
	if l.prev[0] == slot+1 {
		return
	}
	l.remove(slot)
	l.pushBack(slot)
}

// front returns the oldest slot.
func (l *list) front() (uint32, bool) {
	i := l.next[0]
	if i == 0 {
		return 0, false
	}
	return i - 1, true
}

// move puts slot to (not in the list) in the place of slot from, which
// leaves the list.
func (l *list) move(from, to uint32) {
	l.ensure(to)
	i, j := from+1, to+1
	p, n := l.prev[i], l.next[i]
	l.prev[j], l.next[j] = p, n
	l.next[p] = j
	l.prev[n] = j
}

// shrink gives back the links of slots n and above (none is in the list).
func (l *list) shrink(n uint32) {
	l.prev = trim.Slice(l.prev, int(n)+1)
	l.next = trim.Slice(l.next, int(n)+1)
}
