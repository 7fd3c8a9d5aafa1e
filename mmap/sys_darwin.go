package mmap

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

const madvHugePage = -1

var errHugePage = fmt.Errorf("mmap: HugePage advice on darwin: %w", errors.ErrUnsupported)

// sysReclaim drops region's pages (MADV_DONTNEED). darwin has no cheap
// residency query here, so the freed estimate is the region's length.
func sysReclaim(_ *os.File, _ int64, region []byte) (int64, error) {
	if err := unix.Madvise(region, unix.MADV_DONTNEED); err != nil {
		return 0, err
	}
	return int64(len(region)), nil
}
