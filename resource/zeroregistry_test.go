package resource_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/patinox/memory/resource"
)

// TestZeroRegistryReads: the methods that read or sweep the whole registry
// (Len, All, Stats, Health, Failures, LeakReports, Reclaim,
// ReleaseMatching) treat a nil or zero Registry as empty, like the
// methods taking an ID (TestZeroRegistry), instead of panicking.
func TestZeroRegistryReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *resource.Registry
	}{{"zero", &resource.Registry{}}, {"nil", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			calls := []struct {
				name string
				call func() string // "" if the registry looked empty
			}{
				{"Len", func() string { return nonZero("Len", r.Len()) }},
				{"All", func() string {
					n := 0
					for range r.All() {
						n++
					}
					return nonZero("All yielded", n)
				}},
				{"Stats", func() string { return nonZero("Stats.Live", r.Stats().Live) }},
				{"Health", func() string { return nonZero("Health.Live", r.Health().Live) }},
				{"Failures", func() string { return nonZero("len(Failures)", len(r.Failures())) }},
				{"LeakReports", func() string { return nonZero("len(LeakReports)", len(r.LeakReports())) }},
				{"Reclaim", func() string {
					freed, err := r.Reclaim(context.Background(), 0)
					if freed != 0 || err != nil {
						return fmt.Sprintf("Reclaim = %d, %v; want 0, nil", freed, err)
					}
					return ""
				}},
				{"ReleaseMatching", func() string {
					if err := r.ReleaseMatching(context.Background(), func(resource.Info) bool { return true }); err != nil {
						return fmt.Sprintf("ReleaseMatching = %v, want nil", err)
					}
					if r.ReleaseMatching(context.Background(), nil) == nil {
						return "ReleaseMatching(nil match) = nil, want an error"
					}
					return ""
				}},
			}
			for _, c := range calls {
				var msg string
				func() {
					defer func() {
						if p := recover(); p != nil {
							msg = fmt.Sprintf("panic: %v", p)
						}
					}()
					msg = c.call()
				}()
				if msg != "" {
					t.Errorf("%s on a %s Registry: %s", c.name, tc.name, msg)
				}
			}
		})
	}
}

func nonZero(what string, n int) string {
	if n != 0 {
		return fmt.Sprintf("%s = %d, want 0", what, n)
	}
	return ""
}
