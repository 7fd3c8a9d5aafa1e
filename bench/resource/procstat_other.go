//go:build !linux

package resource

// ContextSwitches returns ErrNoProcStat: the per-thread counters it reads
// exist only on Linux.
func ContextSwitches() (int64, error) { return 0, ErrNoProcStat }
