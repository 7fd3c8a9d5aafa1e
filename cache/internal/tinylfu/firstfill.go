package tinylfu

// The first fill. Before the cache is half full it gives the policy no read
// hits (as Caffeine does), and nothing competes for admission before it is
// full: every entry inserted on the way in has the frequency of its
// insertion alone. Once the cache is full, a candidate that ties with such
// an entry loses, so a warm-up whose keys never return keeps the newcomers
// out until aging or the stale tie-break, many capacities later. Caffeine's
// lazy sketch (counting only from half full) avoids that; this package's
// sketch counts from the first insertion, which is better elsewhere (6 to
// 21 points on LIRS's gli trace at 250 to 1,000 entries), but lost 2.2
// points to otter on gli at 1,750 entries, where the warm-up's one-time
// keys kept out the 143 newcomers requested again 1,700 requests later.
// For fillAge×capacity requests after the first fill, an entry last requested
// before the cache was half full loses a tie, but only when the protected
// segment holds at least fillProtected of its share: most of the main space
// has been requested again since it came in, this entry has not, and its
// count is its insertion. When little has been requested again (the
// warm-up keys may all return together, as on LIRS's ps trace at 1,000
// entries), the old entries keep their ties. The simulations do not apply
// this rule: on large caches it changes their decisions (ARC's P6 trace at
// 400,000 entries lost 1.2 points), and for the decisions they make (the
// window and the mode) it is a one-time transient.

// Phases of the first fill.
const (
	fillEmpty uint8 = iota // less than half full so far
	fillHalf               // has been half full
	fillFull               // has been full, within fillAge×capacity requests
	fillOver               // the first-fill tie-break no longer applies
)

// firstFill records when the cache first became half full and full.
type firstFill struct {
	half, full uint32 // Policy.ticks at those moments
	phase      uint8
}

// noteFill advances the first-fill phase after an insertion.
func (p *Policy) noteFill() {
	if p.fill.phase == fillEmpty && p.weight >= p.capacity/2 {
		p.fill.phase, p.fill.half = fillHalf, p.ticks
	}
	if p.fill.phase == fillHalf && p.weight >= p.capacity {
		p.fill.phase, p.fill.full = fillFull, p.ticks
	}
}

// firstFillLoses reports whether the victim, tied with a candidate, loses
// by the first-fill rule above: shortly after the first fill, it has not
// been requested since before the cache was half full while the protected
// segment holds fillProtected of its maximum. Only the cache itself applies
// it, not its simulations (nor weighted caches, which have none).
func (p *Policy) firstFillLoses(victim uint32) bool {
	if p.fill.phase != fillFull || !p.adaptive() {
		return false
	}
	if float64(p.ticks-p.fill.full) > p.cfg.fillAge*float64(p.capacity) {
		p.fill.phase = fillOver
		return false
	}
	if float64(p.protected.weight) < p.cfg.fillProtected*float64(p.protectedMax) {
		return false
	}
	return p.ticks-p.nodes[victim].stamp > p.ticks-p.fill.half
}
