package tinylfu

// resizeWindow sets the window maximum (bounded to [1, maxWindow×capacity])
// and keeps protected at its share of the main space. The entries follow
// gradually (see rebalance and evictFromWindow).
func (p *Policy) resizeWindow(target int64) {
	hi := max(1, int64(p.cfg.maxWindow*float64(p.capacity)))
	p.windowMax = min(max(target, 1), hi, p.capacity)
	p.protectedMax = int64(p.cfg.protectedPercent * float64(p.capacity-p.windowMax))
	p.demoteProtected()
	p.rebalance()
	p.evictFromWindow()
}

// rebalance grows the window toward its maximum by moving up to
// transferLimit main LRU entries (probation first) to the window's MRU end,
// while the main space holds more than its share.
func (p *Policy) rebalance() {
	mainMax := p.capacity - p.windowMax
	for range transferLimit {
		if p.window.weight >= p.windowMax || p.probation.weight+p.protected.weight <= mainMax {
			return
		}
		s, from := p.probation.head, &p.probation
		if s == none {
			s, from = p.protected.head, &p.protected
		}
		if s == none {
			return
		}
		p.unlink(from, s)
		p.pushBack(&p.window, qWindow, s)
	}
}
