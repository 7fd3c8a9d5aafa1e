//go:build linux || darwin

package mmap_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/patinox/memory/mmap"
)

type vec3 struct{ X, Y, Z float32 }

type withPtr struct {
	N int64
	P *int
}

func TestViewOfFloat32(t *testing.T) {
	content := make([]byte, 4*1000)
	for i := range 1000 {
		binary.NativeEndian.PutUint32(content[4*i:], math.Float32bits(float32(i)/2))
	}
	m := mustOpen(t, tempFile(t, content), mmap.ReadOnly)
	var sum float32
	err := mmap.ViewOf(m, 40, 10, func(xs []float32) error {
		for _, x := range xs {
			sum += x
		}
		return nil
	})
	if want := float32(10+11+12+13+14+15+16+17+18+19) / 2; err != nil || sum != want {
		t.Fatalf("ViewOf sum = %v, %v; want %v", sum, err, want)
	}
	err = mmap.ViewOf(m, 12, 2, func(vs []vec3) error {
		if vs[1] != (vec3{3, 3.5, 4}) {
			t.Errorf("vs[1] = %v, want {3 3.5 4}", vs[1])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestViewOfChecks(t *testing.T) {
	m := mustOpen(t, tempFile(t, pattern(page)), mmap.ReadOnly)
	noop := func(err *error) { _ = err }
	_ = noop
	tests := []struct {
		name string
		call func() error
		want error
	}{
		{"misaligned-uint64", func() error { return mmap.ViewOf(m, 4, 1, func([]uint64) error { return nil }) }, mmap.ErrOutOfRange},
		{"past-end", func() error { return mmap.ViewOf(m, int64(page-4), 2, func([]uint32) error { return nil }) }, mmap.ErrOutOfRange},
		{"negative-off", func() error { return mmap.ViewOf(m, -4, 1, func([]uint32) error { return nil }) }, mmap.ErrOutOfRange},
		{"negative-n", func() error { return mmap.ViewOf(m, 0, -1, func([]uint32) error { return nil }) }, mmap.ErrOutOfRange},
		{"huge-n", func() error { return mmap.ViewOf(m, 0, math.MaxInt, func([]uint64) error { return nil }) }, mmap.ErrOutOfRange},
		{"string", func() error { return mmap.ViewOf(m, 0, 1, func([]string) error { return nil }) }, mmap.ErrBadType},
		{"pointer", func() error { return mmap.ViewOf(m, 0, 1, func([]*int) error { return nil }) }, mmap.ErrBadType},
		{"slice", func() error { return mmap.ViewOf(m, 0, 1, func([][]byte) error { return nil }) }, mmap.ErrBadType},
		{"map", func() error { return mmap.ViewOf(m, 0, 1, func([]map[int]int) error { return nil }) }, mmap.ErrBadType},
		{"chan", func() error { return mmap.ViewOf(m, 0, 1, func([]chan int) error { return nil }) }, mmap.ErrBadType},
		{"func", func() error { return mmap.ViewOf(m, 0, 1, func([]func()) error { return nil }) }, mmap.ErrBadType},
		{"interface", func() error { return mmap.ViewOf(m, 0, 1, func([]any) error { return nil }) }, mmap.ErrBadType},
		{"bool", func() error { return mmap.ViewOf(m, 0, 1, func([]bool) error { return nil }) }, mmap.ErrBadType},
		{"struct-with-pointer", func() error { return mmap.ViewOf(m, 0, 1, func([]withPtr) error { return nil }) }, mmap.ErrBadType},
		{"array-of-strings", func() error { return mmap.ViewOf(m, 0, 1, func([][2]string) error { return nil }) }, mmap.ErrBadType},
		{"ok-array", func() error { return mmap.ViewOf(m, 16, 3, func([][4]int32) error { return nil }) }, nil},
		{"ok-empty-at-end", func() error { return mmap.ViewOf(m, int64(page), 0, func([]uint64) error { return nil }) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second call uses the cached type check.
			for range 2 {
				if err := tt.call(); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
			}
		})
	}
}
