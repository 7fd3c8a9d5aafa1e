//go:build linux || darwin

package mmap_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/patinox/memory/mmap"
	"github.com/patinox/memory/resource"
)

func Example() {
	dir, _ := os.MkdirTemp("", "mmap-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "greeting")
	_ = os.WriteFile(path, []byte("hello, mapped world"), 0o600)

	m, err := mmap.Open(path, mmap.ReadOnly)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	buf := make([]byte, 6)
	_, _ = m.ReadAt(buf, 7) // copying, always safe
	fmt.Println(string(buf))
	_ = m.View(func(b []byte) error { // zero-copy while the view runs
		fmt.Println(len(b), string(b[:5]))
		return nil
	})
	// Output:
	// mapped
	// 19 hello
}

func ExampleViewOf() {
	dir, _ := os.MkdirTemp("", "mmap-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "embeddings")
	raw := make([]byte, 4*6)
	for i := range 6 {
		binary.NativeEndian.PutUint32(raw[4*i:], math.Float32bits(float32(i)))
	}
	_ = os.WriteFile(path, raw, 0o600)

	m, _ := mmap.Open(path, mmap.ReadOnly)
	defer m.Close()
	// The second row of a 2×3 float32 matrix, read in place.
	_ = mmap.ViewOf(m, 3*4, 3, func(row []float32) error {
		fmt.Println(row)
		return nil
	})
	err := mmap.ViewOf(m, 2, 1, func([]float32) error { return nil })
	fmt.Println(errors.Is(err, mmap.ErrOutOfRange))
	// Output:
	// [3 4 5]
	// true
}

// An append-only log grown one record at a time: after the first Grow, which
// reserves headroom, the records keep their addresses.
func ExampleMap_Grow() {
	dir, _ := os.MkdirTemp("", "mmap-example-")
	defer os.RemoveAll(dir)
	f, _ := os.Create(filepath.Join(dir, "log"))
	m, err := mmap.OpenFile(f, 0, 0, mmap.ReadWrite, nil) // empty, extended by Grow
	f.Close()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer m.Close()

	var first *byte
	for _, rec := range []string{"alpha;", "beta;", "gamma;"} {
		end := int64(m.Len())
		if err := m.Grow(end + int64(len(rec))); err != nil {
			fmt.Println(err)
			return
		}
		_, _ = m.WriteAt([]byte(rec), end)
		_ = m.View(func(b []byte) error {
			if first == nil {
				first = &b[0]
			}
			fmt.Println(string(b), &b[0] == first)
			return nil
		})
	}
	// Output:
	// alpha; true
	// alpha;beta; true
	// alpha;beta;gamma; true
}

func ExampleMap_Close() {
	dir, _ := os.MkdirTemp("", "mmap-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data")
	_ = os.WriteFile(path, []byte("data"), 0o600)

	m, _ := mmap.Open(path, mmap.ReadOnly)
	_ = m.Close()
	_, err := m.ReadAt(make([]byte, 4), 0)
	fmt.Println(err, m.Close())
	// Output: mmap: closed <nil>
}

func ExampleOpenFile_registry() {
	dir, _ := os.MkdirTemp("", "mmap-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "vocab")
	_ = os.WriteFile(path, make([]byte, 8192), 0o600)

	r, _ := resource.NewRegistry(nil)
	defer r.Shutdown(context.Background())
	f, _ := os.Open(path)
	m, err := mmap.OpenFile(f, 0, -1, mmap.ReadOnly, &mmap.Options{Registry: r, Reclaimable: true})
	f.Close() // the Map keeps its own descriptor
	if err != nil {
		fmt.Println(err)
		return
	}
	id, _ := m.ID()
	info, _ := r.Info(id)
	fmt.Println(r.Len(), info.Kind, info.Size, info.Reclaimable)
	_ = m.Close() // releases the resource exactly once
	fmt.Println(r.Len())
	// Output:
	// 1 mmap 8192 true
	// 0
}
