//go:build !amd64 && !arm64

package mmap

// prefetch is a no-op where there is no assembly version (prefetch_asm.go
// documents what it does on amd64 and arm64).
func prefetch(addr, size uintptr) {}
