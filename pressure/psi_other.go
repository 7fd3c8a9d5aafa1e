//go:build !linux

package pressure

import (
	"errors"
	"fmt"
	"runtime"
)

// psiSource is unavailable outside Linux: PSI is a Linux kernel interface.
type psiSource struct {
	path   string
	events chan Level
}

func openPSI(path string, stall, window int64) (*psiSource, error) {
	return nil, fmt.Errorf("pressure: PSI on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}

func (s *psiSource) watch()           {}
func (s *psiSource) read(p *PSI) bool { return false }
func (s *psiSource) stop()            {}
func (s *psiSource) close()           {}
