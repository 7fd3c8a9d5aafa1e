//go:build linux || darwin

package mmap

import (
	"os"

	"golang.org/x/sys/unix"
)

// sysDup returns a close-on-exec duplicate of f's descriptor, so the Map
// does not depend on the caller keeping f open.
func sysDup(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	var fd int
	var dupErr error
	if err := rc.Control(func(s uintptr) { fd, dupErr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) }); err != nil {
		return nil, err
	}
	if dupErr != nil {
		return nil, os.NewSyscallError("fcntl", dupErr)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// sysMap maps n bytes of f at the page-aligned offset off.
func sysMap(f *os.File, off int64, n int, mode Mode) ([]byte, error) {
	prot, flags := unix.PROT_READ, unix.MAP_SHARED
	switch mode {
	case ReadWrite:
		prot |= unix.PROT_WRITE
	case Private:
		prot |= unix.PROT_WRITE
		flags = unix.MAP_PRIVATE
	}
	p, err := unix.MmapPtr(int(f.Fd()), off, nil, uintptr(n), prot, flags)
	if err != nil {
		return nil, err
	}
	return bytesAt(p, n), nil
}

// sysReserve replaces region, in place, with an inaccessible anonymous
// reservation that uses no memory, so the address cannot be reused by
// another mapping and any later access faults.
func sysReserve(region []byte) error {
	const flags = unix.MAP_FIXED | unix.MAP_PRIVATE | unix.MAP_ANON | unix.MAP_NORESERVE
	_, err := unix.MmapPtr(-1, 0, startOf(region), uintptr(len(region)), unix.PROT_NONE, flags)
	return err
}

// sysUnmap unmaps a region nobody has seen.
func sysUnmap(region []byte) error {
	return unix.MunmapPtr(startOf(region), uintptr(len(region)))
}

func sysAdvise(region []byte, a Advice) error {
	var advice int
	switch a {
	case Normal:
		advice = unix.MADV_NORMAL
	case Sequential:
		advice = unix.MADV_SEQUENTIAL
	case Random:
		advice = unix.MADV_RANDOM
	case WillNeed:
		advice = unix.MADV_WILLNEED
	case DontNeed:
		advice = unix.MADV_DONTNEED
	case HugePage:
		if madvHugePage < 0 {
			return errHugePage
		}
		advice = madvHugePage
	}
	return unix.Madvise(region, advice)
}

func sysLock(region []byte) error   { return unix.Mlock(region) }
func sysUnlock(region []byte) error { return unix.Munlock(region) }
func sysSync(region []byte) error   { return unix.Msync(region, unix.MS_SYNC) }
