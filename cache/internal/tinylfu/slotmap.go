package tinylfu

// slotMap maps a simulation's key hashes to its slots: open addressing with
// linear probing over cells of slot+1 (0: empty), the hash of a cell's key
// read from the simulation's hashes (one slice shared with the shadow), and
// backward-shift deletion. It replaces a Go map on the simulations' hot
// path (a sampled request looks its key up in 10 to 15 of them).
type slotMap struct {
	cells []uint32
	n     int
}

func (m *slotMap) home(h uint64) uint32 { return uint32(h>>32^h) & uint32(len(m.cells)-1) }

// get returns the slot of h.
func (m *slotMap) get(h uint64, hashes []uint64) (uint32, bool) {
	if len(m.cells) == 0 {
		return 0, false
	}
	mask := uint32(len(m.cells) - 1)
	for i := m.home(h); ; i = (i + 1) & mask {
		c := m.cells[i]
		if c == 0 {
			return 0, false
		}
		if hashes[c-1] == h {
			return c - 1, true
		}
	}
}

// put adds slot for h (not present); hashes[slot] must already be h.
func (m *slotMap) put(h uint64, slot uint32, hashes []uint64) {
	if (m.n+1)*4 > len(m.cells)*3 {
		m.grow(hashes)
	}
	m.place(h, slot)
	m.n++
}

func (m *slotMap) place(h uint64, slot uint32) {
	mask := uint32(len(m.cells) - 1)
	i := m.home(h)
	for m.cells[i] != 0 {
		i = (i + 1) & mask
	}
	m.cells[i] = slot + 1
}

func (m *slotMap) grow(hashes []uint64) {
	old := m.cells
	m.cells = make([]uint32, max(2*len(old), 16))
	for _, c := range old {
		if c != 0 {
			m.place(hashes[c-1], c-1)
		}
	}
}

// del removes h's cell (present).
func (m *slotMap) del(h uint64, hashes []uint64) {
	mask := uint32(len(m.cells) - 1)
	i := m.home(h)
	for hashes[m.cells[i]-1] != h {
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		c := m.cells[j]
		if c == 0 {
			break
		}
		if home := m.home(hashes[c-1]); (j-home)&mask >= (j-i)&mask {
			m.cells[i] = c
			i = j
		}
	}
	m.cells[i] = 0
	m.n--
}
