//go:build linux

package pressure

import (
	"strings"
	"testing"
)

// TestPSITriggerWakesMonitor uses a real PSI trigger on this machine: a level
// the watcher reports makes the monitor poll at once and escalate.
func TestPSITriggerWakesMonitor(t *testing.T) {
	m, err := NewMonitor(&Options{Disable: SourceCgroup})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.psi == nil {
		t.Skipf("no PSI here: %s", strings.Join(m.Reading().Notes, "; "))
	}
	if !m.Reading().HasPSI {
		t.Errorf("PSI trigger registered but averages not read")
	}
	got := make(chan Level, 4)
	defer m.Subscribe(func(l Level) { got <- l })()
	m.psi.send(Critical) // what watch() does when the kernel reports a full stall
	if l := <-got; l != Critical {
		t.Errorf("after a PSI full-stall event: level %v, want critical", l)
	}
}
