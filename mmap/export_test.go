package mmap

// Relocations returns how many Grows moved m to a new address.
func Relocations(m *Map) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.moves
}
