package mmap

import (
	"fmt"
	"math/bits"
	"reflect"
	"runtime/debug"
	"sync"
)

// layouts caches, per reflect.Type, the result of checking that a type may
// be viewed in mapped memory (nil or the error).
var layouts sync.Map // reflect.Type → error (nil stored as okLayout)

type okLayout struct{}

// ViewOf calls fn with n values of T read in place from the mapping at byte
// offset off, without copying. It has View's pinning and fault guarantees.
//
// T must be a fixed-size, pointer-free type: numbers, uintptr, arrays and
// structs of them. Pointers, unsafe.Pointer, strings, slices, maps, chans,
// funcs, interfaces and bool (a byte other than 0 or 1 is not a valid bool)
// are refused; the check runs once per type and is cached. The address of
// off must be aligned for T (for a mapping opened at a page-aligned file
// offset: off a multiple of T's alignment) and n values must fit in Len;
// otherwise ViewOf fails with ErrOutOfRange. Values are in the machine's
// byte order. fn must not keep the slice after it returns.
//
// Before anything else ViewOf asks the CPU to start loading the first and
// last cache lines of the n values (a prefetch, which never faults), so that
// a random read's cache miss overlaps with the pin and the fault guard.
func ViewOf[T any](m *Map, off int64, n int, fn func(xs []T) error) (err error) {
	size, align := sizeAlign[T]()
	m.warm(off, uintptr(n)*size) // first: the sooner the miss starts, the more it overlaps
	if !isNumber[T]() {
		if err := checkLayout(reflect.TypeFor[T]()); err != nil {
			return err
		}
	}
	s, ok := m.pins.acquire()
	if !ok {
		return ErrClosed
	}
	d := m.cur.Load().data
	if !fits(d, off, n, size, align) {
		m.pins.release(s)
		return boundsError[T](d, off, n, size, align)
	}
	xs := castSlice[T](d[off:], n)
	// The fault guard as in View: restored and unpinned inline on a normal
	// return, by abort when fn panics or calls runtime.Goexit.
	old := debug.SetPanicOnFault(true)
	done := false
	defer func() {
		if !done {
			m.abort(s, old, recover(), nil, &err)
		}
	}()
	err = fn(xs)
	done = true
	debug.SetPanicOnFault(old)
	m.pins.release(s)
	return err
}

// fits is checkBounds' verdict without the explanation, and without a
// division: ViewOf's fast path. It is small enough to inline: no call, and
// no spills around one (README.md, "Third session", on why stack traffic
// matters for random reads).
func fits(d []byte, off int64, n int, size, align uintptr) bool {
	hi, lo := bits.Mul64(uint64(n), uint64(size))
	return off >= 0 && n >= 0 && hi == 0 && uint64(off) <= uint64(len(d)) &&
		lo <= uint64(len(d))-uint64(off) && (n == 0 || (addrOf(d)+uintptr(off))&(align-1) == 0)
}

// boundsError explains why fits refused (out of line: formatting an error
// would make ViewOf's frame larger on every call).
//
//go:noinline
func boundsError[T any](d []byte, off int64, n int, size, align uintptr) error {
	err := checkBounds(d, off, n, size, align)
	if err == nil { // fits and checkBounds disagree: a bug
		err = fmt.Errorf("offset %d, count %d: %w", off, n, ErrOutOfRange)
	}
	return fmt.Errorf("mmap: ViewOf[%v]: %w", reflect.TypeFor[T](), err)
}

// isNumber reports, without reflection, whether T is one of the predeclared
// number types, which always pass checkLayout; it keeps the common ViewOf
// calls off the cache lookup.
func isNumber[T any]() bool {
	var zero T
	switch any(zero).(type) {
	case int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint, uintptr,
		float32, float64, complex64, complex128:
		return true
	}
	return false
}

// checkBounds checks that n values of the given size and alignment fit in d
// at off, and that d[off:] is aligned.
func checkBounds(d []byte, off int64, n int, size, align uintptr) error {
	if off < 0 || n < 0 || off > int64(len(d)) {
		return fmt.Errorf("offset %d, count %d outside length %d: %w", off, n, len(d), ErrOutOfRange)
	}
	if size > 0 && uint64(n) > uint64(int64(len(d))-off)/uint64(size) {
		return fmt.Errorf("%d values of %d bytes at offset %d exceed length %d: %w", n, size, off, len(d), ErrOutOfRange)
	}
	if n > 0 && (addrOf(d)+uintptr(off))%align != 0 {
		return fmt.Errorf("offset %d is not aligned to %d bytes: %w", off, align, ErrOutOfRange)
	}
	return nil
}

// checkLayout reports whether values of t may live in mapped memory; the
// answer is cached per type.
func checkLayout(t reflect.Type) error {
	if v, ok := layouts.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return err
		}
		return nil
	}
	err := layoutError(t, t.String())
	if err != nil {
		err = fmt.Errorf("mmap: ViewOf[%v]: %w", t, err)
		layouts.Store(t, err)
	} else {
		layouts.Store(t, okLayout{})
	}
	return err
}

// layoutError walks t recursively; path names the offending part.
func layoutError(t reflect.Type, path string) error {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return nil
	case reflect.Array:
		return layoutError(t.Elem(), path+"[]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if err := layoutError(f.Type, path+"."+f.Name); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%s has kind %v, which cannot be viewed in mapped memory (pointers, strings, slices, maps, chans, funcs, interfaces and bools are not allowed): %w",
		path, t.Kind(), ErrBadType)
}
