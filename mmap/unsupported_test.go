//go:build !linux && !darwin

package mmap_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/patinox/memory/mmap"
)

func TestOpenUnsupported(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mmap.Open(path, mmap.ReadOnly); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("Open err = %v, want errors.ErrUnsupported", err)
	}
}

func removeBenchFiles(int) {}
