package cache

import "math/rand/v2"

// ScrambledZipf returns n keys drawn from a Zipf distribution (s = 1.01, the
// closest math/rand/v2 allows to YCSB's 0.99) over items ranks, each rank
// scrambled by FNV-1a as YCSB's ScrambledZipfianGenerator does, so that hot
// keys are spread over the key space.
func ScrambledZipf(n, items int, seed uint64) []uint64 {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	z := rand.NewZipf(r, 1.01, 1, uint64(items-1))
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = fnv64(z.Uint64()) % uint64(items)
	}
	return keys
}

func fnv64(x uint64) uint64 {
	h := uint64(0xcbf29ce484222325)
	for range 8 {
		h ^= x & 0xff
		h *= 0x100000001b3
		x >>= 8
	}
	return h
}
