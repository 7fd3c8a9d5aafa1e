package main

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
)

// A component is one part of the demo's agent fleet: the resource fleet
// (resource_fleet.go) today; pools, caches and mappings as they are added.
//
// # Adding a component
//
// Create one file in this package (pool_demo.go, cache_demo.go, ...) that
// defines a type implementing component and registers a constructor from
// init:
//
//	func init() { register(20, func() component { return &poolDemo{} }) }
//
// Nothing else changes: the demo builds every registered component for each
// run and orders them by the first argument of register (then by name):
// lower starts first, stops last and comes first in the final table. The
// resource fleet uses 10; take 20 for pools, 30 for caches, 40 for
// mappings, 50 and up for anything else.
//
// The life of a component in one demo run, all from the demo's goroutines:
//
//  1. start(ctx, env): set up (start servers, open pools). env carries the
//     shared resource.Registry, the demo's temp directory, the seed and the
//     fleet size. Register observers with env.onEvent here. An error aborts
//     the demo (exit status 1); a start that fails must undo its own partial
//     work, since only components that started are stopped. Resources it
//     left in env.registry are still released by the Shutdown.
//  2. step(ctx, agent, rng): called repeatedly and concurrently, once per
//     agent turn, from env.agents goroutines; calls for one agent number
//     never overlap, so per-agent state indexed by agent needs no lock.
//     rng is that agent's own deterministic source (do not share it). Do a
//     small unit of work (open, use or release something) and return; ctx
//     ends when the run's duration is over. An error is counted and shown,
//     it does not stop the run (return errors only for real surprises).
//  3. stop(ctx): after every agent has stopped and BEFORE the registry's
//     Shutdown: close what the component owns (pools, servers) and wait for
//     its goroutines. Components stop in reverse registration order. Return
//     an error if something went wrong; it makes the exit status non-zero.
//  4. summary(): after the registry's Shutdown: rows for the final table.
//     A row with bad set marks a broken invariant (something unaccounted
//     for) and makes the exit status non-zero.
//
// Optionally a component also implements progresser; its line appears in the
// once-a-second progress report on stderr.
//
// Rules: every goroutine a component starts is stopped by its stop (the demo
// test runs goleak); files go under env.dir (the demo checks it is empty at
// the end, then removes it); resources tracked in env.registry are
// accounted for by the demo itself (registered = released + failed for good
// + detached once Shutdown returns).
type component interface {
	name() string
	start(ctx context.Context, env *env) error
	step(ctx context.Context, agent int, rng *rand.Rand) error
	stop(ctx context.Context) error
	summary() []row
}

// progresser is implemented by components that report progress.
type progresser interface {
	// progress returns a short status ("files=12 conns=40"); called from the
	// progress goroutine while agents run.
	progress() string
}

// row is one line of a component's summary table.
type row struct {
	label string
	value string
	bad   bool // a broken invariant: the demo exits non-zero
}

// registration is one registered component constructor.
type registration struct {
	order int
	new   func() component
}

// components holds the constructors registered by init functions.
var components []registration

// register adds a component constructor with its order (see component);
// call it from an init function.
func register(order int, newComponent func() component) {
	components = append(components, registration{order: order, new: newComponent})
}

// buildComponents returns a fresh instance of every registered component,
// ordered by (order, name).
func buildComponents() []component {
	type built struct {
		order int
		c     component
	}
	bs := make([]built, 0, len(components))
	for _, reg := range components {
		bs = append(bs, built{order: reg.order, c: reg.new()})
	}
	slices.SortStableFunc(bs, func(a, b built) int {
		return cmp.Or(cmp.Compare(a.order, b.order), cmp.Compare(a.c.name(), b.c.name()))
	})
	out := make([]component, len(bs))
	for i, b := range bs {
		out[i] = b.c
	}
	return out
}
