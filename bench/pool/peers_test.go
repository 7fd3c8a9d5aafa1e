package pool

import (
	"context"
	"testing"
	"time"
)

// TestPeersWork checks every adapter: two acquires on two connections
// succeed, a third times out, and releases give them back.
func TestPeersWork(t *testing.T) {
	for _, peer := range Peers {
		t.Run("pool="+peer.Name, func(t *testing.T) {
			p := peer.New(2)
			defer p.Close()
			ctx := context.Background()
			a, err := p.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tctx, cancel := context.WithTimeout(ctx, time.Millisecond)
			defer cancel()
			if _, err := p.Acquire(tctx); err == nil {
				t.Errorf("%s: third Acquire on 2 connections succeeded", peer.Name)
			}
			p.Release(a)
			p.Release(b)
			c, err := p.Acquire(ctx)
			if err != nil {
				t.Fatalf("Acquire after releases: %v", err)
			}
			p.Release(c)
		})
	}
}

// TestJain checks the fairness index on known inputs.
func TestJain(t *testing.T) {
	tests := []struct {
		name      string
		counts    []int64
		wantJain  float64
		wantShare float64
	}{
		{name: "equal", counts: []int64{5, 5, 5, 5}, wantJain: 1, wantShare: 1},
		{name: "one gets all", counts: []int64{8, 0, 0, 0}, wantJain: 0.25, wantShare: 0},
		{name: "half", counts: []int64{2, 2, 0, 0}, wantJain: 0.5, wantShare: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, s := jain(tt.counts)
			if j != tt.wantJain || s != tt.wantShare {
				t.Errorf("jain(%v) = %v, %v; want %v, %v", tt.counts, j, s, tt.wantJain, tt.wantShare)
			}
		})
	}
}
