package resource

import (
	"context"
	"time"

	ours "github.com/patinox/memory/resource"
)

// OursImpl is github.com/patinox/memory/resource with default options except
// the leak level: "ours-noleaks" (LeaksOff: like the seed, no leak
// detection) or "ours" (the default, LeaksSampled).
func OursImpl(m LeakMode) Impl {
	name, opts := "ours", &ours.Options{}
	if m == LeaksOff {
		name, opts = "ours-noleaks", &ours.Options{Leaks: ours.LeaksOff}
	}
	return Impl{Name: name, New: func() (Registry, error) {
		r, err := ours.NewRegistry(opts)
		if err != nil {
			return nil, err
		}
		return &oursRegistry{r: r}, nil
	}}
}

// closeTimeout bounds Shutdown in Close; every scenario has finished its
// cleanups before it closes, so this is only a safety net.
const closeTimeout = time.Minute

type oursRegistry struct {
	r *ours.Registry
}

// benchOptions are built once: options are plain values, so passing them
// does not allocate, and the seed adapter builds its Info per call for free
// as well.
var benchOptions = []ours.Option{ours.WithKind("bench"), ours.WithSize(64)}

func (o *oursRegistry) TrackRelease() error {
	g, err := ours.Track(o.r, benchValue{fd: 3, gen: 1}, closeOurs, benchOptions...)
	if err != nil {
		return err
	}
	return g.Release(context.Background())
}

func closeOurs(_ context.Context, v benchValue) error { return closeBenchValue(v) }

var (
	lowOptions      = []ours.Option{ours.WithKind("work"), ours.WithPriority(ours.Low)}
	criticalOptions = []ours.Option{ours.WithKind("work"), ours.WithPriority(ours.Critical)}
)

func (o *oursRegistry) Prepare(p Priority, fn func()) (func() error, error) {
	opts := lowOptions
	if p == Critical {
		opts = criticalOptions
	}
	id, err := o.r.Register(func(context.Context) error { fn(); return nil }, opts...)
	if err != nil {
		return nil, err
	}
	return func() error { return o.r.ReleaseAsync(id) }, nil
}

// heldOptions give each held resource a TTL and an idle timeout far in the
// future: the registry has timers to keep but nothing due, so any periodic
// timer work would show up in the idle wake-up count.
var heldOptions = []ours.Option{ours.WithKind("held"), ours.WithTTL(time.Hour), ours.WithIdleTimeout(30 * time.Minute)}

func (o *oursRegistry) Hold() error {
	_, err := o.r.Register(func(context.Context) error { return nil }, heldOptions...)
	return err
}

// Close shuts the registry down, which also releases held resources.
func (o *oursRegistry) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	return o.r.Shutdown(ctx)
}
