//go:build linux

package resource

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ContextSwitches returns the process's context switches so far: the sum of
// voluntary_ctxt_switches and nonvoluntary_ctxt_switches over every thread in
// /proc/self/task/*/status. A thread that exits takes its counts with it, so
// compare readings taken while the process's threads are stable (the Go
// runtime rarely ends threads).
func ContextSwitches() (int64, error) {
	paths, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil || len(paths) == 0 {
		return 0, ErrNoProcStat
	}
	var total int64
	for _, p := range paths {
		n, err := threadSwitches(p)
		if err != nil {
			if os.IsNotExist(err) {
				continue // the thread exited between Glob and ReadFile
			}
			return 0, err
		}
		total += n
	}
	return total, nil
}

func threadSwitches(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return parseSwitches(b)
}

// parseSwitches sums the values of the voluntary_ctxt_switches and
// nonvoluntary_ctxt_switches lines of a /proc status file.
func parseSwitches(status []byte) (int64, error) {
	var total int64
	sc := bufio.NewScanner(bytes.NewReader(status))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok || !bytes.HasSuffix(key, []byte("ctxt_switches")) {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(val)), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench/resource: bad %s line: %w", key, err)
		}
		if n < 0 {
			return 0, fmt.Errorf("bench/resource: negative %s: %d", key, n)
		}
		total += n
	}
	return total, sc.Err()
}
