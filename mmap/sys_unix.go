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

// reserveFlags make an inaccessible anonymous mapping that uses no memory.
const reserveFlags = unix.MAP_PRIVATE | unix.MAP_ANON | unix.MAP_NORESERVE

// protFlags returns mmap's protection and flags for a file mapping in mode.
func protFlags(mode Mode) (prot, flags int) {
	prot, flags = unix.PROT_READ, unix.MAP_SHARED
	switch mode {
	case ReadWrite:
		prot |= unix.PROT_WRITE
	case Private:
		prot |= unix.PROT_WRITE
		flags = unix.MAP_PRIVATE
	}
	return prot, flags
}

// sysMap maps n bytes of f at the page-aligned offset off.
func sysMap(f *os.File, off int64, n int, mode Mode) ([]byte, error) {
	prot, flags := protFlags(mode)
	p, err := unix.MmapPtr(int(f.Fd()), off, nil, uintptr(n), prot, flags)
	if err != nil {
		return nil, err
	}
	return bytesAt(p, n), nil
}

// sysMapAt maps len(at) bytes of f at the page-aligned offset off over the
// addresses of at (MAP_FIXED), which must be a reservation of ours: mapping
// over addresses this package does not own would destroy another mapping.
func sysMapAt(f *os.File, off int64, at []byte, mode Mode) error {
	prot, flags := protFlags(mode)
	_, err := unix.MmapPtr(int(f.Fd()), off, startOf(at), uintptr(len(at)), prot, flags|unix.MAP_FIXED)
	return err
}

// sysReserveNew reserves n bytes of address space (a page multiple) as an
// inaccessible anonymous mapping that uses no memory: the headroom that Grow
// later maps the file into with sysMapAt.
func sysReserveNew(n int) ([]byte, error) {
	p, err := unix.MmapPtr(-1, 0, nil, uintptr(n), unix.PROT_NONE, reserveFlags)
	if err != nil {
		return nil, err
	}
	return bytesAt(p, n), nil
}

// sysReserve replaces region, in place, with an inaccessible anonymous
// reservation that uses no memory, so the address cannot be reused by
// another mapping and any later access faults. It has sysReserveNew's
// flags, so that the kernel merges adjacent reservations into one mapping.
func sysReserve(region []byte) error {
	_, err := unix.MmapPtr(-1, 0, startOf(region), uintptr(len(region)), unix.PROT_NONE, reserveFlags|unix.MAP_FIXED)
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
