package trim

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSlice(t *testing.T) {
	for _, tc := range []struct {
		name        string
		len, cap, n int
		wantCopy    bool
		wantLen     int
	}{
		{name: "large array, small n: copied", len: 1000, cap: 1024, n: 10, wantCopy: true, wantLen: 10},
		{name: "n keeps half: kept", len: 1000, cap: 1024, n: 500, wantLen: 500},
		{name: "small array: kept", len: 60, cap: 64, n: 0, wantLen: 0},
		{name: "n past len: the whole slice, copied", len: 100, cap: 1000, n: 200, wantCopy: true, wantLen: 100},
		{name: "n zero on a large array: nil", len: 1000, cap: 1000, n: 0, wantCopy: true, wantLen: 0},
		{name: "negative n: empty", len: 10, cap: 10, n: -1, wantLen: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := make([]uint32, tc.len, tc.cap)
			for i := range s {
				s[i] = uint32(i)
			}
			got := Slice(s, tc.n)
			if len(got) != tc.wantLen {
				t.Fatalf("len = %d, want %d", len(got), tc.wantLen)
			}
			for i, v := range got {
				if v != uint32(i) {
					t.Fatalf("got[%d] = %d, want %d", i, v, i)
				}
			}
			copied := cap(got) < tc.cap
			if copied != tc.wantCopy {
				t.Fatalf("copied = %v (cap %d of %d), want %v", copied, cap(got), tc.cap, tc.wantCopy)
			}
		})
	}
}
