package pool

import (
	"context"
	"errors"
)

// A Keyed pool removes a key's sub-pool once it is empty, so that a key set
// that changes over weeks does not accumulate sub-pools, sweep goroutines,
// registry entries and pressure subscriptions. Empty means nothing a caller
// could wait for or lose: no connection in any state (idle, leased,
// creating, checking, being destroyed), no waiter, no create failing (the
// sub-pool keeps its backoff while its backend is down) and no claim on a
// global slot. The next Acquire for the key makes a new sub-pool, as it
// would make a new connection for the empty one.
//
// Removal is a handshake under Keyed.mu and the sub-pool's mu: the sub-pool
// is marked retired, so that an Acquire that found it in the map just
// before gets errRetired and looks the key up again; then it is closed on a
// goroutine of the Keyed's WaitGroup (it may be the sub-pool's own destroy
// goroutine that noticed it was empty, which Close waits for).
//
// A sub-pool can also be closed from outside the Keyed, through its
// registry entry (Registry.Release, ReleaseMatching, Shutdown). Its acquires
// then fail with ErrClosed while the Keyed is open: the acquire that meets
// it moves it from the map to k.closing (dropClosed) and retries on a new
// sub-pool, as for a new key; when its close ends, subClosed moves it (from
// the map, if no acquire came, or from k.closing) to the totals. While its
// close runs, its counters are in the totals through k.closing, so they
// never go down.

// errRetired is what a retired sub-pool's acquires return: Keyed retries
// them on the key's current sub-pool. It never reaches a caller.
var errRetired = errors.New("pool: sub-pool retired")

// errNoSlot is what a Keyed sub-pool's TryAcquire returns at MaxTotal:
// Keyed evicts for it and retries, or returns ErrExhausted. It never
// reaches a caller.
var errNoSlot = errors.New("pool: no global slot")

// emptyLocked reports whether p holds nothing (see above). Called with p.mu.
func (p *core[T]) emptyLocked() bool {
	return p.size == 0 && p.waiters.Len() == 0 && p.failures == 0 && !p.retrying &&
		!p.wantSlot && !p.closed && !p.retired
}

// retireIfEmpty marks p retired if it is empty.
func (p *core[T]) retireIfEmpty() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.emptyLocked() {
		return false
	}
	p.retired = true
	return true
}

// noteEmpty tells p's Keyed that p became empty (called without p.mu, after
// an unlock where emptyLocked held). A plain Pool has no onEmpty.
func (p *core[T]) noteEmpty(empty bool) {
	if empty && p.onEmpty != nil {
		p.onEmpty()
	}
}

// reap removes key's sub-pool p if it is still the key's and empty; its
// counters stay in the Keyed's totals.
func (k *keyed[K, T]) reap(key K, p *core[T]) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed || k.pools[key] != p || !p.retireIfEmpty() {
		return
	}
	delete(k.pools, key)
	k.gone.add(p.finalStats())
	k.wg.Go(func() {
		// ErrClosed: the registry closed it first.
		if err := p.Close(context.Background()); err != nil && err != ErrClosed {
			k.mu.Lock()
			k.reapErrs = append(k.reapErrs, err)
			k.mu.Unlock()
		}
	})
}

// acquireRetrying runs acquire on key's current sub-pool, again on a new
// one if the sub-pool was retired or closed through the registry meanwhile.
// A TryAcquire at MaxTotal evicts the idle connection of another key for
// itself (evictFor) and creates with its slot; a slot it ends up not using
// goes back.
func (k *keyed[K, T]) acquireRetrying(ctx context.Context, key K, wait bool) (*Lease[T], error) {
	var st acquiring // one acquire in Stats, whatever sub-pools it tries
	l, err := k.acquireLoop(ctx, key, wait, &st)
	if st.slot {
		k.global.put()
	}
	return l, err
}

func (k *keyed[K, T]) acquireLoop(ctx context.Context, key K, wait bool, st *acquiring) (*Lease[T], error) {
	for {
		p, err := k.pool(ctx, key)
		if err != nil {
			return nil, err
		}
		l, err := p.acquire(ctx, wait, st)
		switch {
		case err == errNoSlot:
			if !k.evictFor(p) {
				return nil, ErrExhausted
			}
			st.slot = true
		case err == errRetired:
		case err == ErrClosed: // closed through the registry, or k is closed
			if !k.dropClosed(key, p) {
				return nil, ErrClosed
			}
		default:
			return l, err
		}
	}
}

// dropClosed removes key's sub-pool p, closed from outside the Keyed, from
// the map so that the key's next acquire makes a new one. It reports false
// if the Keyed itself is closed.
func (k *keyed[K, T]) dropClosed(key K, p *core[T]) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.closed {
		return false
	}
	if k.pools[key] == p {
		delete(k.pools, key)
		k.closing[p] = struct{}{}
	}
	return true
}

// subClosed is called when key's sub-pool p has been closed, by anyone. If p
// was closed from outside, it leaves the map (or k.closing) and its final
// counters join the totals. Sub-pools closed by Keyed.Close stay listed;
// removed ones (reap, a lost race in pool) were counted already or never used.
func (k *keyed[K, T]) subClosed(key K, p *core[T]) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch _, dropped := k.closing[p]; {
	case dropped:
		delete(k.closing, p)
	case k.closed || k.pools[key] != p:
		return
	default:
		delete(k.pools, key)
	}
	k.gone.add(p.finalStats())
}

// lateCount adds to the totals what an acquire counted after its sub-pool
// left the Keyed.
func (k *keyed[K, T]) lateCount(t tally) {
	k.mu.Lock()
	k.gone.Acquires += t.acquires
	k.gone.Waits += t.waits
	k.gone.CancelledAcquires += t.cancelled
	k.gone.WaitTime += t.waitTime
	k.mu.Unlock()
}
