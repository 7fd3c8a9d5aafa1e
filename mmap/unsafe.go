package mmap

// This is the only file of the package that uses unsafe. It has three jobs:
//
//   - turn the address returned by mmap(2) into a []byte covering exactly the
//     mapped range (bytesAt), and back (startOf, addrOf);
//   - reinterpret a byte range as []T for ViewOf (castSlice), after viewof.go
//     has checked that T holds no pointers and that the range is aligned and
//     in bounds;
//   - report T's size and alignment (sizeAlign).
//
// Mapped memory is never part of the Go heap, so the garbage collector never
// moves or frees it; the slices built here stay valid until the package itself
// remaps the range PROT_NONE in Close.

import "unsafe"

// bytesAt returns the n bytes starting at p, which must be the start of a
// mapping of at least n bytes.
func bytesAt(p unsafe.Pointer, n int) []byte {
	return unsafe.Slice((*byte)(p), n)
}

// startOf returns the address of b's first byte (nil for an empty b).
func startOf(b []byte) unsafe.Pointer {
	return unsafe.Pointer(unsafe.SliceData(b))
}

// addrOf returns the numeric address of b's first byte, for range checks on
// fault addresses and for alignment checks. It is never turned back into a
// pointer.
func addrOf(b []byte) uintptr {
	return uintptr(unsafe.Pointer(unsafe.SliceData(b)))
}

// castSlice reinterprets the first n*sizeof(T) bytes of b as n values of T.
// The caller has checked that T is pointer-free, that b starts at an address
// aligned for T and that len(b) >= n*sizeof(T).
func castSlice[T any](b []byte, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

// sizeAlign returns the size and alignment of T.
func sizeAlign[T any]() (size, align uintptr) {
	var zero T
	return unsafe.Sizeof(zero), unsafe.Alignof(zero)
}
