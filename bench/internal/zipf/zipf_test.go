package zipf

import (
	"math"
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDistribution(t *testing.T) {
	const n, s, draws = 100, 0.99, 200_000
	g, err := New(n, s, 1)
	if err != nil {
		t.Fatal(err)
	}
	counts := make([]int, n)
	for range draws {
		r := g.Next()
		if r >= n {
			t.Fatalf("Next() = %d, out of [0, %d)", r, n)
		}
		counts[r]++
	}
	zeta := 0.0
	for i := 1; i <= n; i++ {
		zeta += math.Pow(float64(i), -s)
	}
	for _, rank := range []int{0, 1, 9} {
		want := draws * math.Pow(float64(rank+1), -s) / zeta
		if got := float64(counts[rank]); math.Abs(got-want) > 0.1*want {
			t.Errorf("rank %d drawn %v times, want about %.0f", rank, got, want)
		}
	}
}

func TestKeysDeterministic(t *testing.T) {
	a, err := Keys(1000, 0.99, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Keys(1000, 0.99, 100, 7)
	if !slices.Equal(a, b) {
		t.Fatal("Keys with the same seed differ")
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		n    int
		s    float64
	}{
		{name: "n", n: 1, s: 1.1},
		{name: "s", n: 10, s: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.n, tt.s, 1); err == nil {
				t.Fatalf("New(%d, %v): err = nil, want an error", tt.n, tt.s)
			}
		})
	}
}
