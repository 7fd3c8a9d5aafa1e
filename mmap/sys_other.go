//go:build !linux && !darwin

package mmap

import (
	"errors"
	"fmt"
	"os"
	"runtime"
)

// errUnsupported is returned by every operation that needs mmap(2) on a
// system this package does not implement.
var errUnsupported = fmt.Errorf("mmap: not implemented on %s: %w", runtime.GOOS, errors.ErrUnsupported)

var errHugePage = errUnsupported

func sysDup(*os.File) (*os.File, error)                 { return nil, errUnsupported }
func sysMap(*os.File, int64, int, Mode) ([]byte, error) { return nil, errUnsupported }
func sysMapAt(*os.File, int64, []byte, Mode) error      { return errUnsupported }
func sysReserveNew(int) ([]byte, error)                 { return nil, errUnsupported }
func sysReserve([]byte) error                           { return errUnsupported }
func sysUnmap([]byte) error                             { return errUnsupported }
func sysAdvise([]byte, Advice) error                    { return errUnsupported }
func sysLock([]byte) error                              { return errUnsupported }
func sysUnlock([]byte) error                            { return errUnsupported }
func sysSync([]byte) error                              { return errUnsupported }
func sysReclaim(*os.File, int64, []byte) (int64, error) { return 0, errUnsupported }
