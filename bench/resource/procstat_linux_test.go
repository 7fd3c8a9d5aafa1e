//go:build linux

package resource

import (
	"fmt"
	"testing"
)

func TestParseSwitches(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{name: "both", status: "Name:\tx\nvoluntary_ctxt_switches:\t12\nnonvoluntary_ctxt_switches:\t3\n", want: 15},
		{name: "none", status: "Name:\tx\nThreads:\t4\n", want: 0},
		{name: "spaces", status: "voluntary_ctxt_switches:   7  \n", want: 7},
		{name: "garbage", status: "voluntary_ctxt_switches:\tmany\n", wantErr: true},
		{name: "negative", status: "voluntary_ctxt_switches:\t-1\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSwitches([]byte(tt.status))
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("%s: parseSwitches = %d, %v; want %d, error %v", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}

// FuzzParseSwitches: any input either fails or yields the sum of the two
// counters when they are well formed; it never panics.
func FuzzParseSwitches(f *testing.F) {
	f.Add(int64(5), int64(9), "Name:\tbench\n")
	f.Add(int64(0), int64(0), "")
	f.Fuzz(func(t *testing.T, vol, nonvol int64, prefix string) {
		if vol < 0 || nonvol < 0 || vol > 1<<40 || nonvol > 1<<40 {
			return
		}
		status := fmt.Sprintf("voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n", vol, nonvol)
		got, err := parseSwitches([]byte(status))
		if err != nil || got != vol+nonvol {
			t.Fatalf("parseSwitches(%q) = %d, %v; want %d", status, got, err, vol+nonvol)
		}
		_, _ = parseSwitches([]byte(prefix + status)) // must not panic
	})
}
