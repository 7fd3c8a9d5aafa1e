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

// cacheDemo caches fake LLM responses through GetOrLoad. Each response holds
// a fake stream handle (an io.Closer), so the cache registers it in the
// shared registry and releases it when it is evicted, expires or is dropped
// at Close: the demo checks every handle is closed exactly once.
type cacheDemo struct {
	c     *cache.Cache[string, *llmResponse]
	zipfs []*rand.Zipf // per agent (one goroutine at a time each)

	calls, loadErrors      atomic.Int64 // GetOrLoad calls; loader failures (injected)
	created, closed, twice atomic.Int64 // response handles
	evicted                [5]atomic.Int64
}

// llmResponse is a cached completion with a handle to release.
type llmResponse struct {
	text   string
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
	c, err := cache.New(&cache.Options[string, *llmResponse]{
		MaxEntries: demoCacheSize,
		TTL:        demoTTL,
		Registry:   e.registry,
		OnEvict: func(_ string, _ *llmResponse, why cache.Reason) {
			if int(why) < len(d.evicted) {
				d.evicted[why].Add(1)
			}
		},
	})
	if err != nil {
		return err
	}
	d.c = c
	d.zipfs = make([]*rand.Zipf, e.agents)
	return nil
}

// step asks one prompt; a miss calls the fake LLM (about a millisecond,
// failing 1 time in 50 — failures are not cached).
func (d *cacheDemo) step(ctx context.Context, agent int, rng *rand.Rand) error {
	if d.zipfs[agent] == nil {
		d.zipfs[agent] = rand.NewZipf(rng, 1.07, 1, demoPrompts-1)
	}
	prompt := fmt.Sprintf("prompt-%d", d.zipfs[agent].Uint64())
	fail := rng.IntN(50) == 0
	d.calls.Add(1)
	_, err := d.c.GetOrLoad(ctx, prompt, func(ctx context.Context, p string) (*llmResponse, error) {
		select {
		case <-time.After(time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if fail {
			d.loadErrors.Add(1)
			return nil, errRateLimited
		}
		d.created.Add(1)
		return &llmResponse{text: "completion of " + p, demo: d}, nil
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
	return fmt.Sprintf("cache hit=%.1f%% entries=%d", 100*s.HitRatio(), s.Entries)
}

func (d *cacheDemo) summary() []row {
	s := d.c.Stats()
	created, closed := d.created.Load(), d.closed.Load()
	return []row{
		{label: "cache lookups (GetOrLoad)", value: fmt.Sprint(d.calls.Load())},
		{label: "cache hit ratio", value: fmt.Sprintf("%.1f%% (%d hits, %d misses)", 100*s.HitRatio(), s.Hits, s.Misses)},
		{label: "cache loads ok / failed (not cached)", value: fmt.Sprintf("%d / %d, %v loading", s.LoadSuccesses, s.LoadFailures, s.LoadTime.Round(time.Millisecond))},
		{label: "cache evictions capacity / expired / replaced / deleted", value: fmt.Sprintf("%d / %d / %d / %d",
			s.Evictions[cache.Capacity], s.Evictions[cache.Expired], s.Evictions[cache.Replaced], s.Evictions[cache.Deleted])},
		{label: "cached responses released through the registry", value: fmt.Sprintf("%d of %d", closed, created), bad: closed != created},
		{label: "cached responses closed twice (must be 0)", value: fmt.Sprint(d.twice.Load()), bad: d.twice.Load() != 0},
	}
}
