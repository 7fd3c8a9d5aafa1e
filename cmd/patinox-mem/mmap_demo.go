package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/patinox/memory/cow"
	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/resource"
)

func init() { register(40, func() component { return &mmapDemo{} }) }

// Shape of the shared embedding matrix the agents read.
const (
	embedRows = 2048
	embedDim  = 64
)

// routing is the fleet's shared, versioned configuration (copy-on-write).
type routing struct {
	Temperature float64
	Weights     map[string]float64
	Final       bool // the last version, published by stop
}

func cloneRouting(r routing) routing {
	w := make(map[string]float64, len(r.Weights))
	for k, v := range r.Weights {
		w[k] = v
	}
	return routing{Temperature: r.Temperature, Weights: w, Final: r.Final}
}

// mmapDemo shares one read-only embedding file between all agents through a
// tracked, reclaimable mapping (zero-copy ViewOf reads), lets agents take
// private copy-on-write mappings of it and scribble on them (never visible
// to the others), and shares a routing configuration as a cow.Versioned
// that agents update and one watcher follows. At start it also truncates a
// mapped file under a reader to show the fault turning into ErrTruncated.
type mmapDemo struct {
	env     *env
	path    string
	shared  *mmap.Map
	sharedI resource.ID
	config  *cow.Versioned[routing]

	watchCancel context.CancelFunc
	watchWG     sync.WaitGroup
	lastSeen    atomic.Uint64 // newest version the watcher saw

	views, viewErrs       atomic.Int64
	privates, leakedWrite atomic.Int64 // private mappings; private writes seen through the shared one
	updates, rejected     atomic.Int64
	truncatedOK           bool // the truncation probe returned ErrTruncated
	truncatedErr          error
}

func (d *mmapDemo) name() string { return "mmap+cow" }

func (d *mmapDemo) start(ctx context.Context, e *env) error {
	d.env = e
	d.path = filepath.Join(e.dir, "embeddings.f32")
	if err := writeEmbeddings(d.path); err != nil {
		return err
	}
	f, err := os.Open(d.path)
	if err != nil {
		return err
	}
	defer f.Close()
	d.shared, err = mmap.OpenFile(f, 0, -1, mmap.ReadOnly, &mmap.Options{
		Registry: e.registry, Kind: "embeddings", Priority: resource.Normal, Reclaimable: true,
	})
	if err != nil {
		return err
	}
	d.sharedI, _ = d.shared.ID()
	d.truncatedErr = d.truncationProbe()
	d.truncatedOK = errors.Is(d.truncatedErr, mmap.ErrTruncated)
	d.config = cow.NewVersioned(routing{Temperature: 0.7, Weights: map[string]float64{"planner": 1}}, cloneRouting)
	var wctx context.Context
	wctx, d.watchCancel = context.WithCancel(context.Background())
	d.watchWG.Go(func() {
		for s := range d.config.Watch(wctx) {
			d.lastSeen.Store(s.Version)
			if s.Value.Final {
				return
			}
		}
	})
	return nil
}

// writeEmbeddings writes row r, column c = r + c/1000 as float32.
func writeEmbeddings(path string) error {
	buf := make([]byte, 4*embedRows*embedDim)
	for r := range embedRows {
		for c := range embedDim {
			binary.NativeEndian.PutUint32(buf[4*(r*embedDim+c):], math.Float32bits(float32(r)+float32(c)/1000))
		}
	}
	return os.WriteFile(path, buf, 0o600)
}

// truncationProbe maps a scratch file, truncates it, and reads the lost
// page: the read must fail with ErrTruncated instead of killing the process.
func (d *mmapDemo) truncationProbe() error {
	p := filepath.Join(d.env.dir, "truncated.bin")
	defer os.Remove(p)
	if err := os.WriteFile(p, make([]byte, 4*os.Getpagesize()), 0o600); err != nil {
		return err
	}
	m, err := mmap.Open(p, mmap.ReadOnly)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := os.Truncate(p, 0); err != nil {
		return err
	}
	_, err = m.ReadAt(make([]byte, 8), int64(2*os.Getpagesize()))
	return err
}

func (d *mmapDemo) step(_ context.Context, _ int, rng *rand.Rand) error {
	switch n := rng.IntN(100); {
	case n < 2:
		return d.privateScribble(rng)
	case n < 5:
		d.updateConfig(rng)
	default:
		d.score(rng)
	}
	return nil
}

// score reads one embedding row in place and checks it.
func (d *mmapDemo) score(rng *rand.Rand) {
	row := rng.IntN(embedRows)
	err := mmap.ViewOf(d.shared, int64(4*row*embedDim), embedDim, func(xs []float32) error {
		if xs[0] != float32(row) || xs[embedDim-1] != float32(row)+float32(embedDim-1)/1000 {
			return fmt.Errorf("row %d reads %v..%v", row, xs[0], xs[embedDim-1])
		}
		return nil
	})
	d.views.Add(1)
	if err != nil && !errors.Is(err, mmap.ErrClosed) {
		d.viewErrs.Add(1)
	}
}

// privateScribble maps the embeddings copy-on-write, overwrites a row, and
// checks the shared mapping still reads the original.
func (d *mmapDemo) privateScribble(rng *rand.Rand) error {
	m, err := mmap.Open(d.path, mmap.Private)
	if err != nil {
		return err
	}
	defer m.Close()
	d.privates.Add(1)
	row := rng.IntN(embedRows)
	off := int64(4 * row * embedDim)
	if err := mmap.ViewOf(m, off, embedDim, func(xs []float32) error {
		for i := range xs {
			xs[i] = -1
		}
		return nil
	}); err != nil {
		return err
	}
	return mmap.ViewOf(d.shared, off, 1, func(xs []float32) error {
		if xs[0] == -1 {
			d.leakedWrite.Add(1)
		}
		return nil
	})
}

// updateConfig changes the shared routing; one update in four is invalid
// and must publish nothing.
func (d *mmapDemo) updateConfig(rng *rand.Rand) {
	t := rng.Float64()*1.5 - 0.25
	_, err := d.config.Update(func(r routing) (routing, error) {
		if t < 0 || t > 1 {
			return r, fmt.Errorf("temperature %.2f out of [0, 1]", t)
		}
		r.Temperature = t
		r.Weights["planner"] += 0.01
		return r, nil
	})
	if err != nil {
		d.rejected.Add(1)
		return
	}
	d.updates.Add(1)
}

// stop publishes a final config version and waits for the watcher to see
// it (a watcher never misses the newest version), bounded by ctx.
func (d *mmapDemo) stop(ctx context.Context) error {
	_, _ = d.config.Update(func(r routing) (routing, error) { r.Final = true; return r, nil })
	stopped := make(chan struct{})
	go func() { d.watchWG.Wait(); close(stopped) }()
	var errs []error
	select {
	case <-stopped:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("config watcher missed the final version: %w", ctx.Err()))
	}
	d.watchCancel()
	<-stopped
	errs = append(errs, d.shared.Close()) // releases the tracked resource exactly once
	return errors.Join(append(errs, os.Remove(d.path))...)
}

func (d *mmapDemo) progress() string {
	_, v := d.config.Load()
	return fmt.Sprintf("mmap views=%d config v%d", d.views.Load(), v)
}

func (d *mmapDemo) summary() []row {
	_, version := d.config.Load()
	st := d.config.Stats()
	_, stillTracked := d.env.registry.Info(d.sharedI)
	return []row{
		{label: "embedding rows read in place (ViewOf)", value: fmt.Sprint(d.views.Load())},
		{label: "view errors (must be 0)", value: fmt.Sprint(d.viewErrs.Load()), bad: d.viewErrs.Load() != 0},
		{label: "private copy-on-write mappings", value: fmt.Sprint(d.privates.Load())},
		{label: "private writes seen by the shared mapping (must be 0)", value: fmt.Sprint(d.leakedWrite.Load()), bad: d.leakedWrite.Load() != 0},
		{label: "read of a truncated mapped file (must be ErrTruncated)", value: truncatedValue(d.truncatedOK, d.truncatedErr), bad: !d.truncatedOK},
		{label: "shared mapping released from the registry", value: fmt.Sprint(!stillTracked), bad: stillTracked},
		{label: "config updates ok / rejected (published nothing)", value: fmt.Sprintf("%d / %d", d.updates.Load(), d.rejected.Load()),
			bad: version != uint64(d.updates.Load())+2}, // + the initial and the final version
		{label: "config watcher: final version seen / snapshots / skipped", value: fmt.Sprintf("v%d of v%d / %d / %d", d.lastSeen.Load(), version, st.Delivered, st.Skipped),
			bad: d.lastSeen.Load() != version},
	}
}

func truncatedValue(ok bool, err error) string {
	if ok {
		return "ErrTruncated, process alive"
	}
	return fmt.Sprintf("unexpected: %v", err)
}
