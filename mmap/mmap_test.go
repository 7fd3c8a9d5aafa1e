//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"

	"github.com/patinox/memory/mmap"
)

var page = os.Getpagesize()

// pattern returns n deterministic, position-dependent bytes.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// tempFile writes content to a new file in t's temp dir and returns its path.
func tempFile(t testing.TB, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func mustOpen(t testing.TB, path string, mode mmap.Mode) *mmap.Map {
	t.Helper()
	m, err := mmap.Open(path, mode)
	if err != nil {
		t.Fatalf("Open(%v): %v", mode, err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func viewCopy(t testing.TB, m *mmap.Map) []byte {
	t.Helper()
	var got []byte
	if err := m.View(func(b []byte) error { got = bytes.Clone(b); return nil }); err != nil {
		t.Fatalf("View: %v", err)
	}
	return got
}

func TestOpenModesReadContent(t *testing.T) {
	want := pattern(3*page + 17)
	path := tempFile(t, want)
	for _, mode := range []mmap.Mode{mmap.ReadOnly, mmap.ReadWrite, mmap.Private} {
		t.Run("mode="+mode.String(), func(t *testing.T) {
			m := mustOpen(t, path, mode)
			if m.Len() != len(want) {
				t.Fatalf("Len = %d, want %d", m.Len(), len(want))
			}
			if got := viewCopy(t, m); !bytes.Equal(got, want) {
				t.Fatal("View content differs from the file")
			}
			if m.Mode() != mode {
				t.Errorf("Mode = %v, want %v", m.Mode(), mode)
			}
		})
	}
}

func TestZeroLengthFile(t *testing.T) {
	m := mustOpen(t, tempFile(t, nil), mmap.ReadOnly)
	if m.Len() != 0 {
		t.Fatalf("Len = %d, want 0", m.Len())
	}
	n, err := m.ReadAt(make([]byte, 4), 0)
	if n != 0 || err != io.EOF {
		t.Fatalf("ReadAt = %d, %v; want 0, io.EOF", n, err)
	}
	if got := viewCopy(t, m); len(got) != 0 {
		t.Fatalf("View gave %d bytes, want 0", len(got))
	}
	for _, a := range []mmap.Advice{mmap.Normal, mmap.WillNeed, mmap.DontNeed} {
		if err := m.Advise(a); err != nil {
			t.Errorf("Advise(%v) on empty map: %v", a, err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func TestOpenFileRanges(t *testing.T) {
	content := pattern(4 * page)
	path := tempFile(t, content)
	tests := []struct {
		name         string
		off, length  int64
		mode         mmap.Mode
		wantErr      error
		wantLen      int
		wantFileSize int64
	}{
		{name: "unaligned", off: int64(page) + 5, length: 100, wantLen: 100},
		{name: "unaligned-to-eof", off: 3, length: -1, wantLen: len(content) - 3},
		{name: "last-byte", off: int64(len(content) - 1), length: 1, wantLen: 1},
		{name: "at-eof-empty", off: int64(len(content)), length: -1, wantLen: 0},
		{name: "zero-length", off: 7, length: 0, wantLen: 0},
		{name: "past-eof-readonly", off: 10, length: int64(len(content)), wantErr: mmap.ErrOutOfRange},
		{name: "past-eof-private", off: 0, length: int64(len(content)) + 1, mode: mmap.Private, wantErr: mmap.ErrOutOfRange},
		{name: "negative-offset", off: -1, length: 1, wantErr: mmap.ErrOutOfRange},
		{name: "past-eof-readwrite-extends", off: int64(len(content)) - 2, length: 10, mode: mmap.ReadWrite,
			wantLen: 10, wantFileSize: int64(len(content)) + 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tempFile(t, content)
			f, err := os.OpenFile(p, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mmap.OpenFile(f, tt.off, tt.length, tt.mode, nil)
			f.Close() // the Map keeps its own descriptor
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("OpenFile err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			defer m.Close()
			if m.Len() != tt.wantLen {
				t.Fatalf("Len = %d, want %d", m.Len(), tt.wantLen)
			}
			want := append(content, make([]byte, 64)...)[tt.off : tt.off+int64(tt.wantLen)]
			if got := viewCopy(t, m); !bytes.Equal(got, want) {
				t.Fatalf("content = %x..., want %x...", got[:min(8, len(got))], want[:min(8, len(want))])
			}
			if tt.wantFileSize != 0 {
				fi, err := os.Stat(p)
				if err != nil || fi.Size() != tt.wantFileSize {
					t.Fatalf("file size = %v (%v), want %d", fi.Size(), err, tt.wantFileSize)
				}
			}
		})
	}
	_ = path
}

func TestReadAtMatchesBytesReader(t *testing.T) {
	content := pattern(2*page + 3)
	m := mustOpen(t, tempFile(t, content), mmap.ReadOnly)
	ref := bytes.NewReader(content)
	for _, tt := range []struct {
		name string
		off  int64
		n    int
	}{
		{"start", 0, 10}, {"middle", int64(page) - 3, 9}, {"exact-end", int64(len(content)) - 5, 5},
		{"short-at-end", int64(len(content)) - 5, 50}, {"at-end", int64(len(content)), 1},
		{"past-end", int64(len(content)) + 100, 1}, {"empty-buf", 4, 0}, {"whole", 0, len(content)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, want := make([]byte, tt.n), make([]byte, tt.n)
			gn, gerr := m.ReadAt(got, tt.off)
			wn, werr := ref.ReadAt(want, tt.off)
			if gn != wn || gerr != werr || !bytes.Equal(got, want) {
				t.Fatalf("ReadAt(%d, %d) = %d, %v; bytes.Reader gives %d, %v", tt.n, tt.off, gn, gerr, wn, werr)
			}
		})
	}
	if _, err := m.ReadAt(make([]byte, 1), -1); !errors.Is(err, mmap.ErrOutOfRange) {
		t.Fatalf("ReadAt(-1) err = %v, want ErrOutOfRange", err)
	}
}

func TestWriteAtModes(t *testing.T) {
	content := pattern(page)
	ro := mustOpen(t, tempFile(t, content), mmap.ReadOnly)
	if _, err := ro.WriteAt([]byte{1}, 0); !errors.Is(err, mmap.ErrReadOnly) {
		t.Fatalf("ReadOnly WriteAt err = %v, want ErrReadOnly", err)
	}
	rw := mustOpen(t, tempFile(t, content), mmap.ReadWrite)
	n, err := rw.WriteAt([]byte("abcdef"), int64(page-3))
	if n != 3 || !errors.Is(err, mmap.ErrOutOfRange) {
		t.Fatalf("WriteAt across the end = %d, %v; want 3, ErrOutOfRange", n, err)
	}
	if _, err := rw.WriteAt([]byte("x"), int64(page+1)); !errors.Is(err, mmap.ErrOutOfRange) {
		t.Fatalf("WriteAt past the end err = %v, want ErrOutOfRange", err)
	}
	got := make([]byte, 3)
	if _, err := rw.ReadAt(got, int64(page-3)); err != nil || string(got) != "abc" {
		t.Fatalf("read back %q, %v; want %q", got, err, "abc")
	}
}

func TestPrivateWritesStayPrivate(t *testing.T) {
	content := pattern(2 * page)
	path := tempFile(t, content)
	priv := mustOpen(t, path, mmap.Private)
	other := mustOpen(t, path, mmap.ReadOnly)
	if _, err := priv.WriteAt([]byte("private!"), 100); err != nil {
		t.Fatalf("WriteAt: %v", err)
	}
	if err := priv.View(func(b []byte) error { b[page+1] = 0xEE; return nil }); err != nil {
		t.Fatalf("View write: %v", err)
	}
	if got := viewCopy(t, priv); string(got[100:108]) != "private!" || got[page+1] != 0xEE {
		t.Fatal("the Private mapping does not see its own writes")
	}
	if got := viewCopy(t, other); !bytes.Equal(got, content) {
		t.Fatal("a second mapping sees Private writes")
	}
	if err := priv.Flush(); !errors.Is(err, mmap.ErrReadOnly) {
		t.Fatalf("Flush on Private err = %v, want ErrReadOnly", err)
	}
	if err := priv.Close(); err != nil {
		t.Fatal(err)
	}
	if disk, _ := os.ReadFile(path); !bytes.Equal(disk, content) {
		t.Fatal("Private writes reached the file")
	}
}

func TestReadWriteWritesShared(t *testing.T) {
	content := pattern(2 * page)
	path := tempFile(t, content)
	rw := mustOpen(t, path, mmap.ReadWrite)
	other := mustOpen(t, path, mmap.ReadOnly)
	if _, err := rw.WriteAt([]byte("shared"), int64(page)+10); err != nil {
		t.Fatal(err)
	}
	if got := viewCopy(t, other); string(got[page+10:page+16]) != "shared" {
		t.Fatal("a second shared mapping does not see the write")
	}
	if err := rw.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if disk, _ := os.ReadFile(path); string(disk[page+10:page+16]) != "shared" {
		t.Fatal("the write is not in the file after Flush")
	}
}

func TestTruncatedFileGivesErrTruncated(t *testing.T) {
	content := pattern(4 * page)
	path := tempFile(t, content)
	m := mustOpen(t, path, mmap.ReadOnly)
	if err := os.Truncate(path, int64(page)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if _, err := m.ReadAt(buf, int64(2*page)); !errors.Is(err, mmap.ErrTruncated) {
		t.Fatalf("ReadAt of a truncated page err = %v, want ErrTruncated", err)
	}
	err := m.View(func(b []byte) error {
		var sum byte
		for _, c := range b {
			sum += c
		}
		sink = sum
		return nil
	})
	if !errors.Is(err, mmap.ErrTruncated) {
		t.Fatalf("View over a truncated page err = %v, want ErrTruncated", err)
	}
	err = mmap.ViewOf(m, int64(3*page), 4, func(xs []uint64) error { sink = byte(xs[0]); return nil })
	if !errors.Is(err, mmap.ErrTruncated) {
		t.Fatalf("ViewOf over a truncated page err = %v, want ErrTruncated", err)
	}
	// The prefix that still exists reads fine.
	if n, err := m.ReadAt(buf, 8); err != nil || n != len(buf) || !bytes.Equal(buf, content[8:24]) {
		t.Fatalf("ReadAt of the surviving prefix = %d, %v", n, err)
	}
}

var sink byte

// touch reads b[0] with faults turned into panics and reports whether it faulted.
func touch(b []byte) (faulted bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			faulted = true
		}
	}()
	sink = b[0]
	return false
}

func TestUseAfterClose(t *testing.T) {
	m := mustOpen(t, tempFile(t, pattern(2*page)), mmap.ReadWrite)
	var escaped []byte
	if err := m.View(func(b []byte) error { escaped = b; return nil }); err != nil {
		t.Fatal(err)
	}
	if touch(escaped) {
		t.Fatal("touching the slice while open faulted")
	}
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if !touch(escaped) {
		t.Fatal("an escaped slice is still readable after Close; want a fault")
	}
	calls := []struct {
		name string
		call func() error
	}{
		{"ReadAt", func() error { _, err := m.ReadAt(make([]byte, 1), 0); return err }},
		{"WriteAt", func() error { _, err := m.WriteAt([]byte{1}, 0); return err }},
		{"View", func() error { return m.View(func([]byte) error { return nil }) }},
		{"ViewOf", func() error { return mmap.ViewOf(m, 0, 1, func([]int32) error { return nil }) }},
		{"Advise", func() error { return m.Advise(mmap.Random) }},
		{"Flush", m.Flush},
		{"Lock", m.Lock},
		{"Grow", func() error { return m.Grow(int64(4 * page)) }},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, mmap.ErrClosed) {
			t.Errorf("%s after Close err = %v, want ErrClosed", c.name, err)
		}
	}
}

func TestViewPassesErrorsAndPanics(t *testing.T) {
	m := mustOpen(t, tempFile(t, pattern(page)), mmap.ReadOnly)
	errBoom := errors.New("boom")
	if err := m.View(func([]byte) error { return errBoom }); err != errBoom {
		t.Fatalf("View err = %v, want the callback's error", err)
	}
	func() {
		defer func() {
			if r := recover(); r != "user panic" {
				t.Fatalf("recovered %v, want the callback's panic", r)
			}
		}()
		_ = m.View(func([]byte) error { panic("user panic") })
	}()
	if touch(make([]byte, 1)) {
		t.Fatal("unreachable")
	}
	// A write to a ReadOnly mapping faults inside the view and comes back as an error.
	err := m.View(func(b []byte) error { b[0] = 1; return nil })
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("write through a ReadOnly view err = %v, want *os.PathError", err)
	}
}

func TestAdviseLockFlush(t *testing.T) {
	m := mustOpen(t, tempFile(t, pattern(4*page)), mmap.ReadWrite)
	for _, a := range []mmap.Advice{mmap.Normal, mmap.Sequential, mmap.Random, mmap.WillNeed, mmap.DontNeed} {
		if err := m.Advise(a); err != nil {
			t.Errorf("Advise(%v): %v", a, err)
		}
	}
	err := m.Advise(mmap.HugePage)
	if err != nil && !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("Advise(HugePage): %v", err)
	}
	if err := m.Advise(mmap.Advice(99)); err == nil {
		t.Error("Advise(99) succeeded")
	}
	if err := m.Lock(); err != nil {
		t.Fatalf("Lock of 4 pages: %v", err)
	}
	if err := m.Grow(int64(8 * page)); err != nil {
		t.Fatalf("Grow while locked: %v", err)
	}
	if err := m.Unlock(); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	if err := m.Flush(); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	ro := mustOpen(t, tempFile(t, pattern(page)), mmap.ReadOnly)
	if err := ro.Flush(); !errors.Is(err, mmap.ErrReadOnly) {
		t.Fatalf("ReadOnly Flush err = %v, want ErrReadOnly", err)
	}
	if err := ro.Grow(int64(2 * page)); !errors.Is(err, mmap.ErrReadOnly) {
		t.Fatalf("ReadOnly Grow err = %v, want ErrReadOnly", err)
	}
}

// TestOpenErrors: a file that cannot be opened or mapped gives an error
// whose chain holds an *fs.PathError naming the file, as the package
// promises for I/O errors, with the system's cause below it; an invalid
// mode is refused before any I/O.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	file := tempFile(t, pattern(page))
	missing := filepath.Join(dir, "missing")
	openAs := func(flag int) *os.File {
		f, err := os.OpenFile(file, flag, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	writeOnly, readOnly := openAs(os.O_WRONLY), openAs(os.O_RDONLY)
	tests := []struct {
		name  string
		open  func() (*mmap.Map, error)
		path  string // the PathError's Path
		cause error  // in the chain below it; nil: not checked
	}{
		{"missing file", func() (*mmap.Map, error) { return mmap.Open(missing, mmap.ReadOnly) }, missing, fs.ErrNotExist},
		{"path through a file", func() (*mmap.Map, error) { return mmap.Open(file+"/x", mmap.ReadOnly) }, file + "/x", syscall.ENOTDIR},
		{"directory for ReadWrite", func() (*mmap.Map, error) { return mmap.Open(dir, mmap.ReadWrite) }, dir, syscall.EISDIR},
		{"mmap of a write-only descriptor", func() (*mmap.Map, error) {
			return mmap.OpenFile(writeOnly, 0, -1, mmap.ReadOnly, nil)
		}, file, syscall.EACCES},
		{"extending through a read-only descriptor", func() (*mmap.Map, error) {
			return mmap.OpenFile(readOnly, 0, int64(2*page), mmap.ReadWrite, nil)
		}, file, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.open()
			if err == nil {
				m.Close()
				t.Fatal("succeeded, want an error")
			}
			var pe *fs.PathError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want an *fs.PathError in its chain", err, err)
			}
			if pe.Path != tt.path || pe.Op == "" {
				t.Errorf("PathError Op %q Path %q, want an Op and Path %q", pe.Op, pe.Path, tt.path)
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
				t.Errorf("err = %v, want %v in its chain", err, tt.cause)
			}
		})
	}
	if _, err := mmap.Open(file, mmap.Mode(7)); err == nil {
		t.Fatal("Open with an invalid mode succeeded")
	}
}

func TestGuardRestoresSettingAndKeepsOtherPanics(t *testing.T) {
	m := mustOpen(t, tempFile(t, pattern(page)), mmap.ReadOnly)
	var inside bool
	_ = m.View(func([]byte) error { inside = debug.SetPanicOnFault(true); return nil })
	if after := debug.SetPanicOnFault(false); !inside || after {
		t.Fatalf("panic-on-fault inside View = %v, after = %v; want true, false", inside, after)
	}
	func() {
		defer func() {
			re, ok := recover().(runtime.Error)
			if !ok || !strings.Contains(re.Error(), "nil pointer") {
				t.Fatalf("recovered %v, want the nil dereference to keep panicking", re)
			}
		}()
		_ = m.View(func([]byte) error {
			var p *int
			sink = byte(*p)
			return nil
		})
	}()
	if err := m.View(func([]byte) error { return nil }); err != nil {
		t.Fatalf("View after a panicking one: %v", err)
	}
	if err := m.Close(); err != nil { // the panicking view released its pin
		t.Fatal(err)
	}
}
