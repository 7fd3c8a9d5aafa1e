package mmap

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

const madvHugePage = unix.MADV_HUGEPAGE

var errHugePage error // HugePage is supported

// sysReclaim gives region's pages back and returns how many bytes of it
// left memory. MADV_DONTNEED unmaps the pages from this process; then
// POSIX_FADV_DONTNEED on the same file range drops those that are clean and
// mapped nowhere else from the page cache. Residency is counted with
// mincore(2) before and after, so the result is what really left memory: it
// excludes dirty pages (written back first) and pages another mapping or
// process still uses, even though this process's RSS fell by those too.
// (MADV_PAGEOUT was measured to leave clean file pages cached here.)
func sysReclaim(f *os.File, off int64, region []byte) (int64, error) {
	before, err := resident(region)
	if err != nil {
		return 0, err
	}
	if err := unix.Madvise(region, unix.MADV_DONTNEED); err != nil {
		return 0, os.NewSyscallError("madvise", err)
	}
	if err := unix.Fadvise(int(f.Fd()), off, int64(len(region)), unix.FADV_DONTNEED); err != nil {
		return 0, os.NewSyscallError("fadvise", err)
	}
	after, err := resident(region)
	if err != nil {
		return 0, err
	}
	return max(before-after, 0), nil
}

// resident returns the number of bytes of region in memory (mincore(2)).
func resident(region []byte) (int64, error) {
	page := os.Getpagesize()
	vec := make([]byte, (len(region)+page-1)/page) // non-constant size: heap, never moves
	_, _, errno := unix.Syscall(unix.SYS_MINCORE, addrOf(region), uintptr(len(region)), addrOf(vec))
	runtime.KeepAlive(vec)
	if errno != 0 {
		return 0, os.NewSyscallError("mincore", errno)
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return n * int64(page), nil
}
