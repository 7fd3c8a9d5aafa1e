package tinylfu

// transferLimit bounds the entries moved per window resize.
const transferLimit = 1000

// climber is Caffeine's hill climber: every sample of 10× capacity requests
// it compares the hit rate with the previous sample's and keeps moving the
// window size in the direction that helped, with a step that decays,
// restarting at full size when the hit rate shifts a lot.
type climber struct {
	cfg            *config
	hits, misses   int
	sampleSize     int
	prevHitRate    float64
	step           float64
	capacityAtInit int64
}

func (c *climber) init(capacity int64, cfg *config) {
	*c = climber{
		cfg:            cfg,
		sampleSize:     int(min(cfg.sampleFactor*capacity, 1<<40)),
		step:           -cfg.stepPercent * float64(capacity),
		capacityAtInit: capacity,
	}
	c.sampleSize = max(c.sampleSize, 1)
}

func (c *climber) hit()  { c.hits++ }
func (c *climber) miss() { c.misses++ }

// determine computes the next adjustment once a sample is complete; it
// returns 0 otherwise.
func (c *climber) determine() int64 {
	n := c.hits + c.misses
	if n < c.sampleSize {
		return 0
	}
	rate := float64(c.hits) / float64(n)
	change := rate - c.prevHitRate
	amount := c.step
	if change < 0 {
		amount = -c.step
	}
	if abs(change) >= c.cfg.restartThreshold {
		sign := 1.0
		if amount < 0 {
			sign = -1
		}
		c.step = c.cfg.stepPercent * float64(c.capacityAtInit) * sign
	} else {
		c.step = c.cfg.stepDecay * amount
	}
	c.prevHitRate = rate
	c.hits, c.misses = 0, 0
	return int64(amount)
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// climb applies the climber's adjustment to the window size.
func (p *Policy) climb() {
	if !p.sketch.initialized() {
		p.climber.init(p.capacity, &p.cfg)
		return
	}
	amount := p.climber.determine()
	p.demoteProtected()
	switch {
	case amount > 0:
		p.increaseWindow(amount)
	case amount < 0:
		p.decreaseWindow(-amount)
	}
}

// increaseWindow moves up to quota weight from the main space to the
// window: the protected maximum shrinks and LRU entries of probation (then
// protected) become the window's MRU entries.
func (p *Policy) increaseWindow(quota int64) {
	if p.protectedMax == 0 {
		return
	}
	quota = min(quota, p.protectedMax)
	p.protectedMax -= quota
	p.windowMax += quota
	p.demoteProtected()
	for range transferLimit {
		s := p.probation.head
		from := &p.probation
		if s == none || quota < p.weightOf(s) {
			s, from = p.protected.head, &p.protected
		}
		if s == none || quota < p.weightOf(s) {
			break
		}
		quota -= p.weightOf(s)
		p.unlink(from, s)
		p.pushBack(&p.window, qWindow, s)
	}
	p.protectedMax += quota
	p.windowMax -= quota
}

// decreaseWindow moves up to quota weight from the window to the main
// space: the window's LRU entries go to probation.
func (p *Policy) decreaseWindow(quota int64) {
	if p.windowMax <= 1 {
		return
	}
	quota = min(quota, max(0, p.windowMax-1))
	p.protectedMax += quota
	p.windowMax -= quota
	for range transferLimit {
		s := p.window.head
		if s == none || quota < p.weightOf(s) {
			break
		}
		quota -= p.weightOf(s)
		p.unlink(&p.window, s)
		p.pushBack(&p.probation, qProbation, s)
	}
	p.protectedMax -= quota
	p.windowMax += quota
}
