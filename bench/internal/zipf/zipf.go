// Package zipf generates Zipf-distributed request keys for the hit-ratio
// simulator with any exponent s > 0 (math/rand's Zipf needs s > 1), using
// the rejection-free method of Gray et al. ("Quickly Generating
// Billion-Record Synthetic Databases", SIGMOD 1994) as in YCSB.
//
// # Caveats
//
// New precomputes the generalized harmonic number in O(n). A Generator is
// not safe for concurrent use.
package zipf

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Generator draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s.
type Generator struct {
	rng                 *rand.Rand
	n                   float64
	theta, alpha, zetan float64
	eta, half           float64
}

// New returns a generator over n items with exponent s > 0 (s = 1 is
// nudged to 1+1e-9), seeded deterministically.
func New(n int, s float64, seed uint64) (*Generator, error) {
	if n < 2 {
		return nil, errors.New("zipf: n must be >= 2")
	}
	if s <= 0 {
		return nil, errors.New("zipf: s must be > 0")
	}
	if s == 1 {
		s = 1 + 1e-9
	}
	g := &Generator{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: float64(n), theta: s}
	g.zetan = zeta(n, s)
	zeta2 := zeta(2, s)
	g.alpha = 1 / (1 - s)
	g.eta = (1 - math.Pow(2/g.n, 1-s)) / (1 - zeta2/g.zetan)
	g.half = 1 + math.Pow(0.5, s)
	return g, nil
}

func zeta(n int, s float64) float64 {
	sum := 0.0
	for i := n; i >= 1; i-- { // small terms first for accuracy
		sum += 1 / math.Pow(float64(i), s)
	}
	return sum
}

// Next returns the next rank (0 is the most popular).
func (g *Generator) Next() uint64 {
	u := g.rng.Float64()
	uz := u * g.zetan
	if uz < 1 {
		return 0
	}
	if uz < g.half {
		return 1
	}
	r := uint64(g.n * math.Pow(g.eta*u-g.eta+1, g.alpha))
	return min(r, uint64(g.n)-1)
}

// Scramble maps a rank to a key so that popular keys are not adjacent
// (a bijection on uint64: splitmix64's finalizer).
func Scramble(rank uint64) uint64 {
	z := rank + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Keys returns count scrambled Zipf keys over n items with exponent s.
func Keys(n int, s float64, count int, seed uint64) ([]uint64, error) {
	g, err := New(n, s, seed)
	if err != nil {
		return nil, err
	}
	keys := make([]uint64, count)
	for i := range keys {
		keys[i] = Scramble(g.Next())
	}
	return keys, nil
}
