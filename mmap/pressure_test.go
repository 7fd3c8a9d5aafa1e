//go:build linux || darwin

package mmap_test

import (
	"context"
	"testing"
	"time"

	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/pressure"
	"github.com/patinox/memory/pressure/pressuretest"
	"github.com/patinox/memory/resource"
)

// TestPressureDropsPages: a registry given a pressure monitor reclaims a
// Reclaimable read-only mapping's pages (through its ReclaimWith) when the
// level rises, and the mapping stays open and correct.
func TestPressureDropsPages(t *testing.T) {
	mon := pressuretest.Manual(t)
	reclaimed := make(chan resource.Event, 4)
	r, err := resource.NewRegistry(&resource.Options{Pressure: mon, Observer: resource.ObserverFunc(func(e resource.Event) {
		if e.Type == resource.Reclaimed {
			reclaimed <- e
		}
	})})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Shutdown(context.Background())

	content := pattern(64 * page)
	path := tempFile(t, content)
	syncFile(t, path)
	m := openTracked(t, path, mmap.ReadOnly, &mmap.Options{Registry: r, Reclaimable: true})
	defer m.Close()
	_ = m.View(func(b []byte) error {
		for i := 0; i < len(b); i += page {
			sink += b[i]
		}
		return nil
	})
	if err := mon.Set(pressure.High); err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-reclaimed:
		if e.Kind != "mmap" || e.Size < 0 || e.Size > int64(len(content)) {
			t.Errorf("Reclaimed event kind %q size %d, want mmap and 0..%d", e.Kind, e.Size, len(content))
		}
		t.Logf("pressure reclaimed %d of %d bytes", e.Size, len(content))
	case <-time.After(10 * time.Second):
		t.Fatal("no Reclaimed event 10s after High pressure")
	}
	if r.Len() != 1 {
		t.Fatalf("pressure released the Map: registry holds %d", r.Len())
	}
	got := make([]byte, 64)
	if _, err := m.ReadAt(got, int64(3*page)); err != nil || string(got) != string(content[3*page:3*page+64]) {
		t.Fatalf("ReadAt after reclaim: %v", err)
	}
}
