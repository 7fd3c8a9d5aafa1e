//go:build linux || darwin

package mmap_test

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/resource"
)

func newRegistry(t *testing.T) *resource.Registry {
	t.Helper()
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := r.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return r
}

func openTracked(t *testing.T, path string, mode mmap.Mode, o *mmap.Options) *mmap.Map {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mmap.OpenFile(f, 0, -1, mode, o)
	if err != nil {
		t.Fatalf("OpenFile: %v", err)
	}
	return m
}

func TestRegistryTracksAndReleasesOnce(t *testing.T) {
	r := newRegistry(t)
	path := tempFile(t, pattern(3*page))
	m := openTracked(t, path, mmap.ReadOnly, &mmap.Options{Registry: r, Priority: resource.High})
	id, ok := m.ID()
	if !ok {
		t.Fatal("ID reports the Map untracked")
	}
	in, ok := r.Info(id)
	if !ok || in.Kind != "mmap" || in.Size != int64(3*page) || in.Priority != resource.High {
		t.Fatalf("Info = %+v, %v; want kind mmap, size %d, High", in, ok, 3*page)
	}
	var wg sync.WaitGroup
	for range 4 { // racing Closes release it exactly once
		wg.Go(func() {
			if err := m.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	wg.Wait()
	if _, ok := r.Info(id); ok || r.Len() != 0 {
		t.Fatalf("after Close the registry still holds %d resources", r.Len())
	}
	if err := r.Release(context.Background(), id); !errors.Is(err, resource.ErrNotFound) && !errors.Is(err, resource.ErrReleased) {
		t.Fatalf("second release err = %v, want ErrNotFound or ErrReleased", err)
	}
}

func TestRegistryShutdownClosesMap(t *testing.T) {
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	m := openTracked(t, tempFile(t, pattern(page)), mmap.ReadOnly, &mmap.Options{Registry: r, Kind: "embeddings"})
	id, _ := m.ID()
	if in, _ := r.Info(id); in.Kind != "embeddings" {
		t.Fatalf("Kind = %q, want embeddings", in.Kind)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if _, err := m.ReadAt(make([]byte, 1), 0); !errors.Is(err, mmap.ErrClosed) {
		t.Fatalf("ReadAt after Shutdown err = %v, want ErrClosed", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close after Shutdown: %v", err)
	}
	f, _ := os.Open(tempFile(t, pattern(page)))
	defer f.Close()
	if _, err := mmap.OpenFile(f, 0, -1, mmap.ReadOnly, &mmap.Options{Registry: r}); !errors.Is(err, resource.ErrShuttingDown) {
		t.Fatalf("OpenFile on a stopped registry err = %v, want ErrShuttingDown", err)
	}
}

func TestRegistryReclaimKeepsMapUsable(t *testing.T) {
	r := newRegistry(t)
	content := pattern(64 * page)
	path := tempFile(t, content)
	syncFile(t, path) // clean pages: only those can leave the page cache
	m := openTracked(t, path, mmap.ReadOnly, &mmap.Options{Registry: r, Reclaimable: true})
	defer m.Close()
	_ = m.View(func(b []byte) error { // make every page resident
		for i := 0; i < len(b); i += page {
			sink += b[i]
		}
		return nil
	})
	freed, err := r.Reclaim(context.Background(), 0)
	if err != nil {
		t.Fatalf("Reclaim: %v", err)
	}
	if freed < 0 || freed > int64(len(content)) {
		t.Fatalf("Reclaim freed %d bytes of a %d-byte mapping", freed, len(content))
	}
	if runtime.GOOS == "linux" && freed == 0 && !onTmpfs(path) { // tmpfs pages have nowhere to go
		t.Fatal("Reclaim freed nothing of a clean, resident, unshared mapping")
	}
	if runtime.GOOS == "darwin" && freed != int64(len(content)) {
		t.Fatalf("darwin Reclaim freed %d, want the length %d", freed, len(content))
	}
	t.Logf("Reclaim freed %d of %d bytes", freed, len(content))
	if r.Len() != 1 {
		t.Fatalf("Reclaim released the Map: registry holds %d", r.Len())
	}
	got := make([]byte, 100)
	if _, err := m.ReadAt(got, int64(10*page)); err != nil || string(got) != string(content[10*page:10*page+100]) {
		t.Fatalf("ReadAt after Reclaim: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	r := newRegistry(t)
	path := tempFile(t, pattern(page))
	tests := []struct {
		name  string
		mode  mmap.Mode
		opts  mmap.Options
		field string
	}{
		{"reclaimable-private", mmap.Private, mmap.Options{Registry: r, Reclaimable: true}, "Options.Reclaimable"},
		{"reclaimable-readwrite", mmap.ReadWrite, mmap.Options{Registry: r, Reclaimable: true}, "Options.Reclaimable"},
		{"priority", mmap.ReadOnly, mmap.Options{Registry: r, Priority: 9}, "Options.Priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = mmap.OpenFile(f, 0, -1, tt.mode, &tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("err = %v, want one naming %s", err, tt.field)
			}
		})
	}
	if r.Len() != 0 {
		t.Fatalf("failed opens left %d resources", r.Len())
	}
}

func syncFile(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
}

// TestRegistryGrowUpdatesSize: after Grow the registry weighs the Map by
// its new length.
func TestRegistryGrowUpdatesSize(t *testing.T) {
	r := newRegistry(t)
	path := tempFile(t, pattern(page))
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := mmap.OpenFile(f, 0, -1, mmap.ReadWrite, &mmap.Options{Registry: r})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id, _ := m.ID()
	if err := os.Truncate(path, int64(4*page)); err != nil {
		t.Fatal(err)
	}
	if err := m.Grow(int64(4 * page)); err != nil {
		t.Fatal(err)
	}
	if in, _ := r.Info(id); in.Size != int64(4*page) {
		t.Errorf("Info.Size after Grow = %d, want %d", in.Size, 4*page)
	}
}

// TestRegistryReclaimOfLockedMap: the pages of a locked Map cannot leave
// memory (that is what Lock promises), so the registry's Reclaim gets 0
// bytes from it and no error; after Unlock its pages can go again.
func TestRegistryReclaimOfLockedMap(t *testing.T) {
	r := newRegistry(t)
	content := pattern(16 * page)
	path := tempFile(t, content)
	syncFile(t, path)
	m := openTracked(t, path, mmap.ReadOnly, &mmap.Options{Registry: r, Reclaimable: true})
	defer m.Close()
	if err := m.Lock(); err != nil {
		t.Skipf("Lock: %v", err)
	}
	freed, err := r.Reclaim(context.Background(), 0)
	if err != nil || freed != 0 {
		t.Fatalf("Reclaim of a locked Map = %d, %v; want 0, nil", freed, err)
	}
	got := make([]byte, 100)
	if _, err := m.ReadAt(got, int64(5*page)); err != nil || string(got) != string(content[5*page:5*page+100]) {
		t.Fatalf("ReadAt after Reclaim: %v", err)
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	freed, err = r.Reclaim(context.Background(), 0)
	if err != nil {
		t.Fatalf("Reclaim after Unlock: %v", err)
	}
	if runtime.GOOS == "linux" && freed == 0 && !onTmpfs(path) {
		t.Fatal("Reclaim after Unlock freed nothing of a clean, resident, unshared mapping")
	}
}
