package wheel

import "github.com/patinox/memory/cache/internal/trim"

const levels = 5

var (
	shifts = [levels]uint{30, 36, 42, 47, 49} // log2 of each level's bucket span in ns
	sizes  = [levels]uint32{64, 64, 32, 4, 1} // buckets per level (powers of two)
	bases  = [levels]uint32{0, 64, 128, 160, 164}
)

const (
	sentinels = 165        // total buckets: sum of sizes
	none      = ^uint32(0) // next value of an unlinked slot
)

// Wheel schedules slots by deadline. Times are int64 nanoseconds on any
// monotonic clock that starts at or above zero. The zero Wheel is not usable;
// call New.
type Wheel struct {
	prev, next []uint32 // [0, sentinels): bucket heads; sentinels+s: slot s
	nanos      int64    // time of the last Advance
	count      int      // slots scheduled
}

// New returns an empty wheel whose time is now.
func New(now int64) *Wheel {
	w := &Wheel{prev: make([]uint32, sentinels), next: make([]uint32, sentinels), nanos: now}
	for i := range uint32(sentinels) {
		w.prev[i], w.next[i] = i, i
	}
	return w
}

// Len returns the number of scheduled slots.
func (w *Wheel) Len() int { return w.count }

// Schedule (re)schedules slot to expire at deadline.
func (w *Wheel) Schedule(slot uint32, deadline int64) {
	w.Cancel(slot)
	w.link(slot, deadline)
}

// Cancel unschedules slot; it does nothing if slot is not scheduled.
func (w *Wheel) Cancel(slot uint32) {
	i := slot + sentinels
	if int(i) >= len(w.next) || w.next[i] == none {
		return
	}
	p, n := w.prev[i], w.next[i]
	w.next[p] = n
	w.prev[n] = p
	w.next[i] = none
	w.count--
}

// Move gives slot to the place of slot from, which is no longer scheduled
// (the cache moved the entry from one slot to the other; to was not
// scheduled). It does nothing if from is not scheduled.
func (w *Wheel) Move(from, to uint32) {
	i := from + sentinels
	if int(i) >= len(w.next) || w.next[i] == none {
		return
	}
	j := to + sentinels
	w.grow(j)
	p, n := w.prev[i], w.next[i]
	w.prev[j], w.next[j] = p, n
	w.next[p] = j
	w.prev[n] = j
	w.next[i] = none
}

// Shrink gives back the links of slots n and above, none of which is
// scheduled.
func (w *Wheel) Shrink(n uint32) {
	w.prev = trim.Slice(w.prev, int(n+sentinels))
	w.next = trim.Slice(w.next, int(n+sentinels))
}

// Advance moves the wheel's time to now and visits every bucket whose time
// has passed. For each slot there it calls deadlineOf to learn the slot's
// current deadline: a slot whose deadline is 0 is dropped, one that is due
// (deadline ≤ now) is unscheduled and appended to expired, any other is
// rescheduled. It returns expired.
func (w *Wheel) Advance(now int64, deadlineOf func(slot uint32) int64, expired []uint32) []uint32 {
	prev := w.nanos
	if now <= prev {
		return expired
	}
	w.nanos = now
	for level := range levels {
		pt, ct := prev>>shifts[level], now>>shifts[level]
		if ct <= pt {
			break
		}
		expired = w.expire(level, pt, ct-pt, deadlineOf, expired)
	}
	return expired
}

// expire processes the buckets of level from tick prevTicks to
// prevTicks+delta inclusive (at most the whole level).
func (w *Wheel) expire(level int, prevTicks, delta int64, deadlineOf func(uint32) int64, expired []uint32) []uint32 {
	size := int64(sizes[level])
	steps := min(delta+1, size)
	for k := prevTicks; k < prevTicks+steps; k++ {
		s := bases[level] + uint32(k&(size-1))
		i := w.next[s]
		w.prev[s], w.next[s] = s, s
		for i != s {
			n := w.next[i]
			w.next[i] = none
			w.count--
			slot := i - sentinels
			switch d := deadlineOf(slot); {
			case d == 0:
			case d <= w.nanos:
				expired = append(expired, slot)
			default:
				w.link(slot, d)
			}
			i = n
		}
	}
	return expired
}

// link appends slot (unscheduled) to the bucket for deadline.
func (w *Wheel) link(slot uint32, deadline int64) {
	i := slot + sentinels
	w.grow(i)
	s := w.bucket(deadline)
	last := w.prev[s]
	w.prev[i], w.next[i] = last, s
	w.next[last] = i
	w.prev[s] = i
	w.count++
}

// grow makes room for the links at index i.
func (w *Wheel) grow(i uint32) {
	for len(w.next) <= int(i) {
		w.next = append(w.next, none)
		w.prev = append(w.prev, none)
	}
}

// bucket returns the head index of the bucket for deadline.
func (w *Wheel) bucket(deadline int64) uint32 {
	t := max(deadline, w.nanos)
	d := t - w.nanos
	for level := range levels - 1 {
		if d < int64(1)<<shifts[level+1] {
			return bases[level] + uint32((t>>shifts[level])&int64(sizes[level]-1))
		}
	}
	return bases[levels-1]
}

// Next returns the earliest time at which an Advance will find a scheduled
// slot due or cascading, and false when nothing is scheduled.
func (w *Wheel) Next() (int64, bool) {
	if w.count == 0 {
		return 0, false
	}
	best, found := int64(0), false
	for level := range levels {
		size := int64(sizes[level])
		ct := w.nanos >> shifts[level]
		for j := range size {
			k := ct + j
			s := bases[level] + uint32(k&(size-1))
			if w.next[s] == s {
				continue
			}
			due := k << shifts[level]
			if level == 0 || j == 0 {
				due = (k + 1) << shifts[level]
			}
			if !found || due < best {
				best, found = due, true
			}
			break
		}
	}
	return best, found
}

// Due returns the time at which an Advance will visit a slot scheduled now
// for deadline (the end of its level-0 bucket, or when its coarser bucket
// cascades).
func (w *Wheel) Due(deadline int64) int64 {
	t := max(deadline, w.nanos)
	d := t - w.nanos
	for level := range levels - 1 {
		if d < int64(1)<<shifts[level+1] {
			k := t >> shifts[level]
			if level == 0 || k == w.nanos>>shifts[level] {
				return (k + 1) << shifts[level]
			}
			return k << shifts[level]
		}
	}
	return (w.nanos>>shifts[levels-1] + 1) << shifts[levels-1]
}
