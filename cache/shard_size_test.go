package cache

import (
	"testing"
	"unsafe"
)

// TestShardSize: shards fill whole cache lines (see shard).
func TestShardSize(t *testing.T) {
	if n := unsafe.Sizeof(shard[uint64]{}); n%64 != 0 || n > 128 {
		t.Errorf("shard is %d bytes, want a multiple of 64 up to 128", n)
	}
}
