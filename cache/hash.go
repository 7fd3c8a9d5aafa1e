package cache

// This is the package's only use of unsafe: it reinterprets a key of a
// known kind (string or fixed-size integer) to hash it without going through
// maphash.Comparable, which is several times slower (the kind is checked
// once, by reflection, when the cache is created).

import (
	"hash/maphash"
	"reflect"
	"unsafe"
)

// newHasher returns a seeded, well-mixed 64-bit hash function for K.
func newHasher[K comparable]() func(K) uint64 {
	seed := maphash.MakeSeed()
	salt := maphash.Comparable(seed, uint64(0x9e3779b97f4a7c15))
	switch reflect.TypeFor[K]().Kind() {
	case reflect.String:
		return func(k K) uint64 { return maphash.String(seed, *(*string)(unsafe.Pointer(&k))) }
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64, reflect.Uintptr:
		return func(k K) uint64 { return mix(*(*uint64)(unsafe.Pointer(&k)) ^ salt) }
	case reflect.Int32, reflect.Uint32:
		return func(k K) uint64 { return mix(uint64(*(*uint32)(unsafe.Pointer(&k))) ^ salt) }
	default:
		return func(k K) uint64 { return maphash.Comparable(seed, k) }
	}
}

// mix is the murmur3 64-bit finalizer.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
