//go:build linux || darwin

package mmap

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// records is a slog.Handler that keeps the records it gets.
type records struct {
	mu  sync.Mutex // protects msgs
	msg []string   // message and attributes, one string per record
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *records) WithGroup(string) slog.Handler            { return h }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	s := r.Level.String() + " " + r.Message
	r.Attrs(func(a slog.Attr) bool { s += " " + a.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msg = append(h.msg, s)
	return nil
}

// about returns the records that mention s.
func (h *records) about(s string) []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for _, m := range h.msg {
		if strings.Contains(m, s) {
			out = append(out, m)
		}
	}
	return out
}

// dropped is what a test keeps of a Map it dropped: the address ranges it
// used and slices that escaped its views, none of which keeps it reachable.
type dropped struct {
	path    string
	spaces  []span
	escaped [][]byte
}

// openAndDrop maps a new page-long file in mode, relocates it by growing
// (ReadWrite) so that it has a replaced range too, writes to it, and
// returns without closing it. With closeIt it closes the Map first.
//
//go:noinline
func openAndDrop(t *testing.T, mode Mode, h slog.Handler, closeIt bool) dropped {
	page := os.Getpagesize()
	d := dropped{path: filepath.Join(t.TempDir(), "data")}
	if err := os.WriteFile(d.path, make([]byte, page), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(d.path, mode.openFlag(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := OpenFile(f, 0, -1, mode, &Options{Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	d.escaped, d.spaces = append(d.escaped, escape(t, m)), append(d.spaces, spaceOf(m))
	if mode == ReadWrite {
		mustGrow(t, m, 2*page, true)
		d.escaped, d.spaces = append(d.escaped, escape(t, m)), append(d.spaces, spaceOf(m))
	}
	if mode != ReadOnly {
		if _, err := m.WriteAt([]byte("dirty"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if closeIt {
		mustOK(t, m.Close())
	}
	return d
}

// reserved reports whether every address of s is mapped PROT_NONE.
func reserved(all []vma, s span) bool {
	vs, whole := covering(all, s)
	for _, v := range vs {
		if v.perms != "---p" {
			return false
		}
	}
	return whole
}

// TestDroppedMapIsReleased: a Map that becomes unreachable without Close is
// released by its cleanup like Close would: every range it used, the
// replaced one of a relocating Grow included, becomes a PROT_NONE
// reservation (slices that escaped its views fault instead of reading
// whatever reuses the address), and the leak is logged. A Map that was
// closed is not released again and not reported.
func TestDroppedMapIsReleased(t *testing.T) {
	if _, ok := vmas(t); !ok {
		t.Skip("no /proc/self/smaps")
	}
	for _, mode := range []Mode{ReadOnly, ReadWrite, Private} {
		t.Run("mode="+mode.String(), func(t *testing.T) {
			h := &records{}
			closed := openAndDrop(t, mode, h, true)
			leaked := openAndDrop(t, mode, h, false)
			deadline := time.Now().Add(10 * time.Second)
			for {
				runtime.GC()
				all, _ := vmas(t)
				done := len(h.about(leaked.path)) > 0
				for _, s := range leaked.spaces {
					done = done && reserved(all, s)
				}
				if done {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("10 s after it was dropped, the Map's ranges are not all reserved or the leak was not logged (log: %q)",
						h.about(leaked.path))
				}
				runtime.Gosched()
			}
			for i, b := range leaked.escaped {
				if !faults(b) {
					t.Errorf("slice %d escaped from the dropped Map is still readable; want a fault", i)
				}
			}
			if got := h.about(leaked.path); len(got) != 1 || !strings.HasPrefix(got[0], "WARN ") {
				t.Errorf("log about the dropped Map = %q, want one warning", got)
			}
			if got := h.about(closed.path); len(got) != 0 {
				t.Errorf("log about the closed Map = %q, want nothing", got)
			}
		})
	}
}

// viewDropped starts a View of a new Map in another goroutine and returns,
// without keeping the Map, once the view is running; the view waits for
// release, then reads its bytes and reports its error on the channel.
//
//go:noinline
func viewDropped(t *testing.T, h slog.Handler, release <-chan struct{}) (string, <-chan error) {
	path := filepath.Join(t.TempDir(), "viewed")
	if err := os.WriteFile(path, []byte("mapped bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := OpenFile(f, 0, -1, ReadOnly, &Options{Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	entered, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- m.View(func(b []byte) error {
			close(entered)
			<-release
			if string(b) != "mapped bytes" {
				return errors.New("the view reads " + strconv.Quote(string(b)))
			}
			return nil
		})
	}()
	<-entered
	return path, done
}

// gcUntil runs the garbage collector until cond holds, failing the test
// after 10 s.
func gcUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("10 s of garbage collection later: %s", what)
		}
		runtime.GC()
		runtime.Gosched()
	}
}

// TestRunningViewKeepsMapReachable checks the claim the leak cleanup rests
// on: a Map that nothing but a running view refers to is still reachable,
// so its cleanup cannot release the bytes under the view. Once the view
// ends, the cleanup releases the Map.
func TestRunningViewKeepsMapReachable(t *testing.T) {
	h := &records{}
	release := make(chan struct{})
	path, viewDone := viewDropped(t, h, release)
	other := openAndDrop(t, ReadOnly, h, false) // dropped after the view started
	gcUntil(t, "a Map dropped after the view started was not released", func() bool {
		return len(h.about(other.path)) > 0
	})
	for range 5 {
		runtime.GC()
	}
	if got := h.about(path); len(got) != 0 {
		t.Errorf("the Map under a running view was released: %q", got)
	}
	close(release)
	if err := <-viewDone; err != nil {
		t.Fatalf("the running view: %v", err)
	}
	gcUntil(t, "the Map was not released after its view ended", func() bool {
		return len(h.about(path)) > 0
	})
}
