//go:build linux || darwin

package mmap_test

import (
	"errors"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"testing/synctest"

	"github.com/patinox/memory/mmap"
)

// views runs the same callback through View and through ViewOf, so that
// every exit path of the fault guard (normal return, returned error, fault,
// other panic, runtime.Goexit) is checked for both.
var views = []struct {
	name string
	call func(m *mmap.Map, fn func(b []byte) error) error
}{
	{"View", func(m *mmap.Map, fn func(b []byte) error) error { return m.View(fn) }},
	{"ViewOf", func(m *mmap.Map, fn func(b []byte) error) error {
		return mmap.ViewOf(m, 0, m.Len(), func(xs []uint8) error { return fn(xs) })
	}},
}

func TestGuardExitPaths(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name      string
		fn        func(b []byte) error
		wantErr   func(error) bool
		wantPanic bool
	}{
		{"return-nil", func([]byte) error { return nil }, func(err error) bool { return err == nil }, false},
		{"return-error", func([]byte) error { return errBoom }, func(err error) bool { return err == errBoom }, false},
		{"fault-write-read-only", func(b []byte) error { b[0] = 1; return nil },
			func(err error) bool { var pe *os.PathError; return errors.As(err, &pe) }, false},
		{"other-panic", func([]byte) error { panic("user panic") }, nil, true},
	}
	for _, v := range views {
		for _, tt := range tests {
			t.Run(v.name+"/"+tt.name, func(t *testing.T) {
				m, err := mmap.Open(tempFile(t, pattern(page)), mmap.ReadOnly)
				if err != nil {
					t.Fatal(err)
				}
				for _, before := range []bool{false, true} {
					debug.SetPanicOnFault(before)
					r, err := callRecovering(func() error { return v.call(m, tt.fn) })
					if after := debug.SetPanicOnFault(false); after != before {
						t.Fatalf("panic-on-fault after the call = %v, want %v (restored)", after, before)
					}
					if tt.wantPanic {
						if r != "user panic" {
							t.Fatalf("recovered %v, want the callback's panic to continue", r)
						}
						continue
					}
					if r != nil || !tt.wantErr(err) {
						t.Fatalf("err = %v, panic = %v", err, r)
					}
				}
				if err := m.Close(); err != nil { // every path released its pin
					t.Fatalf("Close: %v", err)
				}
			})
		}
	}
}

// callRecovering calls f and returns what it panicked with, or its error.
func callRecovering(f func() error) (r any, err error) {
	defer func() { r = recover() }()
	return nil, f()
}

// TestGuardGoexit checks that a callback ending its goroutine with
// runtime.Goexit (as t.FailNow does) unpins the Map: Close returns instead
// of waiting forever (which synctest would report as a deadlock).
func TestGuardGoexit(t *testing.T) {
	path := tempFile(t, pattern(page))
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m, err := mmap.Open(path, mmap.ReadOnly)
				if err != nil {
					t.Fatal(err)
				}
				exited := make(chan struct{})
				go func() {
					defer close(exited)
					_ = v.call(m, func([]byte) error { runtime.Goexit(); return nil })
				}()
				<-exited
				if err := m.Close(); err != nil {
					t.Fatalf("Close after a Goexit inside a view: %v", err)
				}
			})
		})
	}
}

// TestCopyGuardExitPaths checks every way out of ReadAt and WriteAt (a
// whole copy, a short one at the end, an offset past the end, a fault on a
// truncated page): each restores the goroutine's panic-on-fault setting,
// returns what io.ReaderAt and io.WriterAt promise, and releases its pin,
// so that Close returns (synctest reports a Close that waits forever).
func TestCopyGuardExitPaths(t *testing.T) {
	length := 4 * page
	tests := []struct {
		name     string
		off      int64
		truncate bool
		wantN    int
		wantErr  error // matched with errors.Is
	}{
		{"whole", 8, false, 16, nil},
		{"short-at-end", int64(length - 4), false, 4, nil}, // io.EOF for ReadAt, ErrOutOfRange for WriteAt
		{"past-end", int64(length + 1), false, 0, nil},
		{"fault", int64(2 * page), true, 0, mmap.ErrTruncated},
	}
	copies := []struct {
		name    string
		call    func(m *mmap.Map, p []byte, off int64) (int, error)
		wantEnd error // the error of a short copy or one past the end
	}{
		{"ReadAt", (*mmap.Map).ReadAt, io.EOF},
		{"WriteAt", (*mmap.Map).WriteAt, mmap.ErrOutOfRange},
	}
	for _, c := range copies {
		for _, tt := range tests {
			t.Run(c.name+"/"+tt.name, func(t *testing.T) {
				path := tempFile(t, pattern(length))
				synctest.Test(t, func(t *testing.T) {
					m := mustOpen(t, path, mmap.ReadWrite)
					if tt.truncate {
						if err := os.Truncate(path, int64(page)); err != nil {
							t.Fatal(err)
						}
					}
					want := tt.wantErr
					if want == nil && tt.wantN < 16 {
						want = c.wantEnd
					}
					for _, before := range []bool{false, true} {
						debug.SetPanicOnFault(before)
						n, err := c.call(m, make([]byte, 16), tt.off)
						if after := debug.SetPanicOnFault(false); after != before {
							t.Fatalf("panic-on-fault after the call = %v, want %v (restored)", after, before)
						}
						if n != tt.wantN || (want == nil) != (err == nil) || (want != nil && !errors.Is(err, want)) {
							t.Fatalf("n, err = %d, %v; want %d, %v", n, err, tt.wantN, want)
						}
					}
					if err := m.Close(); err != nil { // every path released its pin
						t.Fatalf("Close: %v", err)
					}
				})
			})
		}
	}
}
