package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/patinox/memory/cache"
)

func init() { register(30, func() component { return &cacheDemo{} }) }

// Shape of the cache workload: agents ask prompts drawn from a Zipf
// distribution over a fixed set, in a cache that holds a fraction of them.
const (
	demoPrompts   = 2000
	demoCacheSize = 256
	demoTTL       = 2 * time.Second
)

// Shape of the big-responses workload (demo --memlimit): responses of 64 to
// 256 KiB over more prompts, in a cache bounded by weight at twice the
// memory limit with no TTL, so that the cache alone can outgrow the limit;
// the fake LLM is slower (20 to 50 ms a call), as real ones are.
const (
	demoBigPrompts = 4000
	demoBigFactor  = 2 // MaxWeight = demoBigFactor × the memory limit
	demoBigMinBody = 64 << 10
	demoBigMaxBody = 256 << 10
	demoBigLoad    = 20 * time.Millisecond
	demoBigJitter  = 30 * time.Millisecond
)

// cacheDemo caches fake LLM responses through GetOrLoad. Each response holds
// a fake stream handle (an io.Closer), so the cache registers it in the
// shared registry and releases it when it is evicted, expires or is dropped
// at Close: the demo checks every handle is closed exactly once.
//
// With --memlimit the responses are large (see demoBigPrompts) and the cache
// takes its Options.Pressure from the demo's monitor.
type cacheDemo struct {
	c       *cache.Cache[string, *llmResponse]
	zipfs   []*rand.Zipf // per agent (one goroutine at a time each)
	big     bool         // the big-responses workload
	prompts int          // number of distinct prompts
	bound   int64        // configured MaxWeight (big) or MaxEntries

	calls, loadErrors      atomic.Int64 // GetOrLoad calls; loader failures (injected)
	created, closed, twice atomic.Int64 // response handles
	evicted                [5]atomic.Int64
}

// llmResponse is a cached completion with a handle to release.
type llmResponse struct {
	text   string
	body   []byte // the big-responses workload's payload; nil otherwise
	closed atomic.Bool
	demo   *cacheDemo
}

func (r *llmResponse) Close() error {
	if r.closed.Swap(true) {
		r.demo.twice.Add(1)
		return errors.New("response closed twice")
	}
	r.demo.closed.Add(1)
	return nil
}

func (d *cacheDemo) name() string { return "cache" }

func (d *cacheDemo) start(_ context.Context, e *env) error {
	o := &cache.Options[string, *llmResponse]{
		MaxEntries: demoCacheSize,
		TTL:        demoTTL,
		Registry:   e.registry,
		Pressure:   e.pressure,
		OnEvict: func(_ string, _ *llmResponse, why cache.Reason) {
			if int(why) < len(d.evicted) {
				d.evicted[why].Add(1)
			}
		},
	}
	d.prompts, d.bound = demoPrompts, demoCacheSize
	if e.memlimit > 0 {
		d.big, d.prompts, d.bound = true, demoBigPrompts, demoBigFactor*e.memlimit
		o.MaxEntries, o.TTL, o.MaxWeight = 0, 0, d.bound
		o.Weigher = func(_ string, r *llmResponse) int64 { return int64(len(r.text) + len(r.body)) }
	}
	c, err := cache.New(o)
	if err != nil {
		return err
	}
	d.c = c
	d.zipfs = make([]*rand.Zipf, e.agents)
	e.cacheView = d.view
	return nil
}

// cacheView is what the memory component shows of the cache.
type cacheView struct {
	bound, configured int64 // bound in force and configured (bytes, or entries without --memlimit)
	entries           int
	weight            int64
	hitRatio          float64
	pressureEvictions uint64 // evictions with Reason Pressure: the cache's shrinking and the registry's Reclaim
}

func (d *cacheDemo) view() cacheView {
	s := d.c.Stats()
	n, w := d.c.Limits()
	return cacheView{bound: max(int64(n), w), configured: d.bound, entries: s.Entries, weight: s.Weight,
		hitRatio: s.HitRatio(), pressureEvictions: s.Evictions[cache.Pressure]}
}

// bigBody is the payload of prompt n's response: 64 to 256 KiB, the same
// size for the same prompt, its pages written so that they count in RSS.
func bigBody(n uint64) []byte {
	const pattern = "the quick brown fox jumps over the lazy agent. "
	size := demoBigMinBody + int(n*2654435761%uint64(demoBigMaxBody-demoBigMinBody))&^1023
	b := make([]byte, size)
	for off := 0; off < len(b); {
		off += copy(b[off:], pattern)
	}
	return b
}

// step asks one prompt; a miss calls the fake LLM (about a millisecond, 20
// to 50 ms with --memlimit; failing 1 time in 50 — failures are not cached).
func (d *cacheDemo) step(ctx context.Context, agent int, rng *rand.Rand) error {
	if d.zipfs[agent] == nil {
		d.zipfs[agent] = rand.NewZipf(rng, 1.07, 1, uint64(d.prompts)-1)
	}
	n := d.zipfs[agent].Uint64()
	prompt := fmt.Sprintf("prompt-%d", n)
	fail := rng.IntN(50) == 0
	delay := time.Millisecond
	if d.big {
		delay = demoBigLoad + randDur(rng, demoBigJitter)
	}
	d.calls.Add(1)
	_, err := d.c.GetOrLoad(ctx, prompt, func(ctx context.Context, p string) (*llmResponse, error) {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fail {
			d.loadErrors.Add(1)
			return nil, errRateLimited
		}
		d.created.Add(1)
		r := &llmResponse{text: "completion of " + p, demo: d}
		if d.big {
			r.body = bigBody(n)
		}
		return r, nil
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, cache.ErrClosed) && !errors.Is(err, errRateLimited) {
		return err
	}
	return nil
}

// errRateLimited is the fake LLM's injected failure.
var errRateLimited = errors.New("fake LLM: rate limited")

func (d *cacheDemo) stop(context.Context) error {
	return d.c.Close() // releases every cached response through the registry
}

func (d *cacheDemo) progress() string {
	s := d.c.Stats()
	if d.big {
		return fmt.Sprintf("cache hit=%.1f%% entries=%d weight=%s", 100*s.HitRatio(), s.Entries, formatBytes(s.Weight))
	}
	return fmt.Sprintf("cache hit=%.1f%% entries=%d", 100*s.HitRatio(), s.Entries)
}

func (d *cacheDemo) summary() []row {
	s := d.c.Stats()
	created, closed := d.created.Load(), d.closed.Load()
	rows := []row{
		{label: "cache lookups (GetOrLoad)", value: fmt.Sprint(d.calls.Load())},
		{label: "cache hit ratio", value: fmt.Sprintf("%.1f%% (%d hits, %d misses)", 100*s.HitRatio(), s.Hits, s.Misses)},
		{label: "cache loads ok / failed (not cached)", value: fmt.Sprintf("%d / %d, %v loading", s.LoadSuccesses, s.LoadFailures, s.LoadTime.Round(time.Millisecond))},
		{label: "cache evictions capacity / expired / replaced / deleted", value: fmt.Sprintf("%d / %d / %d / %d",
			s.Evictions[cache.Capacity], s.Evictions[cache.Expired], s.Evictions[cache.Replaced], s.Evictions[cache.Deleted])},
		{label: "cached responses released through the registry", value: fmt.Sprintf("%d of %d", closed, created), bad: closed != created},
		{label: "cached responses closed twice (must be 0)", value: fmt.Sprint(d.twice.Load()), bad: d.twice.Load() != 0},
	}
	if d.big {
		rows = append(rows, row{label: "cache evictions by memory pressure", value: fmt.Sprint(s.Evictions[cache.Pressure])})
	}
	return rows
}
