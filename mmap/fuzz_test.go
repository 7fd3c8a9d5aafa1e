//go:build linux || darwin

package mmap_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/patinox/memory/mmap"
)

// FuzzReadWriteAt checks ReadAt and WriteAt at arbitrary offsets and sizes
// against a []byte model with bytes.Reader's io.ReaderAt behaviour.
func FuzzReadWriteAt(f *testing.F) {
	f.Add(int64(0), 10, byte(1))
	f.Add(int64(4090), 20, byte(2))
	f.Add(int64(8191), 1, byte(3))
	f.Add(int64(8192), 5, byte(4))
	f.Add(int64(-1), 5, byte(5))
	f.Add(int64(1<<62), 1, byte(6))
	content := pattern(2 * page)
	f.Fuzz(func(t *testing.T, off int64, n int, fill byte) {
		n = n % (3 * page)
		if n < 0 {
			n = -n
		}
		m := mustOpen(t, tempFile(t, content), mmap.ReadWrite)
		model := bytes.Clone(content)
		p := bytes.Repeat([]byte{fill}, n)
		wn, werr := m.WriteAt(p, off)
		if off >= 0 && off <= int64(len(model)) {
			mn := copy(model[off:], p)
			if wn != mn || (mn < n) != (werr != nil) {
				t.Fatalf("WriteAt(%d bytes, %d) = %d, %v; model wrote %d", n, off, wn, werr, mn)
			}
		} else if werr == nil || wn != 0 {
			t.Fatalf("WriteAt(%d bytes, %d) = %d, %v; want an error", n, off, wn, werr)
		}
		got, want := make([]byte, n), make([]byte, n)
		gn, gerr := m.ReadAt(got, off)
		mn, merr := bytes.NewReader(model).ReadAt(want, off)
		if off < 0 {
			if !errors.Is(gerr, mmap.ErrOutOfRange) {
				t.Fatalf("ReadAt(%d) err = %v, want ErrOutOfRange", off, gerr)
			}
			return
		}
		if gn != mn || gerr != merr || !bytes.Equal(got, want) {
			t.Fatalf("ReadAt(%d bytes, %d) = %d, %v; model %d, %v", n, off, gn, gerr, mn, merr)
		}
		if gerr != nil && gerr != io.EOF {
			t.Fatalf("unexpected error %v", gerr)
		}
	})
}

// FuzzViewOf views uint16, uint32, uint64 and a 12-byte struct at arbitrary
// offsets and counts, and checks the values against decoding the bytes.
func FuzzViewOf(f *testing.F) {
	f.Add(uint8(0), int64(0), 4)
	f.Add(uint8(1), int64(3), 2)
	f.Add(uint8(2), int64(8), 100)
	f.Add(uint8(3), int64(4092), 1)
	f.Add(uint8(2), int64(-8), 1)
	content := pattern(page)
	path := tempFileF(f, content)
	f.Fuzz(func(t *testing.T, kind uint8, off int64, n int) {
		m := mustOpen(t, path, mmap.ReadOnly)
		switch kind % 4 {
		case 0:
			checkViewOf(t, m, content, off, n, 2, func(b []byte) uint16 { return binary.NativeEndian.Uint16(b) })
		case 1:
			checkViewOf(t, m, content, off, n, 4, func(b []byte) uint32 { return binary.NativeEndian.Uint32(b) })
		case 2:
			checkViewOf(t, m, content, off, n, 8, func(b []byte) uint64 { return binary.NativeEndian.Uint64(b) })
		case 3:
			checkViewOf(t, m, content, off, n, 4, func(b []byte) [3]uint32 {
				return [3]uint32{binary.NativeEndian.Uint32(b), binary.NativeEndian.Uint32(b[4:]), binary.NativeEndian.Uint32(b[8:])}
			})
		}
	})
}

func checkViewOf[T comparable](t *testing.T, m *mmap.Map, content []byte, off int64, n int, align int64, decode func([]byte) T) {
	t.Helper()
	var zero T
	size := int64(binary.Size(zero))
	valid := off >= 0 && n >= 0 && off <= int64(len(content)) &&
		int64(n) <= (int64(len(content))-off)/size && (n == 0 || off%align == 0)
	err := mmap.ViewOf(m, off, n, func(xs []T) error {
		if len(xs) != n {
			t.Fatalf("len = %d, want %d", len(xs), n)
		}
		for i, x := range xs {
			if want := decode(content[off+int64(i)*size:]); x != want {
				t.Fatalf("xs[%d] = %v, want %v", i, x, want)
			}
		}
		return nil
	})
	if valid != (err == nil) {
		t.Fatalf("ViewOf[%T](off=%d, n=%d) err = %v, want valid=%v", zero, off, n, err, valid)
	}
	if err != nil && !errors.Is(err, mmap.ErrOutOfRange) {
		t.Fatalf("err = %v, want ErrOutOfRange", err)
	}
}

func tempFileF(f *testing.F, content []byte) string { return tempFile(f, content) }
