//go:build linux || darwin

package mmap_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

const benchSize = 256 << 20

var bench struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// benchFile returns a 256 MiB file shared by all benchmarks of the run,
// created once and removed by TestMain. It skips b if the file cannot be
// written (for example, the disk is short).
func benchFile(b *testing.B) string {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "mmap-bench-")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "data")
		bench.err = writeRandom(bench.path, benchSize)
	})
	if bench.err != nil {
		b.Skipf("cannot create the %d MiB benchmark file: %v", benchSize>>20, bench.err)
	}
	return bench.path
}

func writeRandom(path string, size int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	r := rand.NewChaCha8([32]byte{1})
	buf := make([]byte, 1<<20)
	for written := 0; written < size; written += len(buf) {
		_, _ = r.Read(buf)
		if _, err := f.Write(buf); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

func removeBenchFiles(int) {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}
