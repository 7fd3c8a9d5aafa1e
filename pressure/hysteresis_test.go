package pressure

import (
	"testing"
	"time"
)

func TestHysteresis(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type step struct {
		at     time.Duration
		ratio  float64
		events Level
		want   Level
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"escalates at once to the highest entered level", []step{
			{0, 0.10, Normal, Normal},
			{1 * time.Second, 0.96, Normal, Critical},
		}},
		{"holds between exit and enter", []step{
			{0, 0.86, Normal, High},
			{1 * time.Second, 0.80, Normal, High},
			{20 * time.Second, 0.79, Normal, High},
		}},
		{"steps down one level per calm period", []step{
			{0, 0.96, Normal, Critical},
			{1 * time.Second, 0.10, Normal, Critical},  // calm starts
			{5 * time.Second, 0.10, Normal, Critical},  // 4s of calm
			{6 * time.Second, 0.10, Normal, High},      // 5s: one step
			{10 * time.Second, 0.10, Normal, High},     // next step needs its own calm
			{11 * time.Second, 0.10, Normal, Moderate}, // 5s later
			{16 * time.Second, 0.10, Normal, Normal},
		}},
		{"a bounce restarts the calm period", []step{
			{0, 0.86, Normal, High},
			{1 * time.Second, 0.50, Normal, High},
			{4 * time.Second, 0.80, Normal, High}, // back above exit: calm broken
			{5 * time.Second, 0.50, Normal, High},
			{9 * time.Second, 0.50, Normal, High},
			{10 * time.Second, 0.50, Normal, Moderate},
		}},
		{"events escalate and hold", []step{
			{0, 0.10, High, High},
			{10 * time.Second, 0.10, High, High},
			{11 * time.Second, 0.10, Normal, High},
			{16 * time.Second, 0.10, Normal, Moderate},
		}},
		{"a lower level entered while calming does not reset", []step{
			{0, 0.96, Normal, Critical},
			{1 * time.Second, 0.72, Normal, Critical},
			{6 * time.Second, 0.72, Normal, High},
			{11 * time.Second, 0.72, Normal, Moderate},
			{30 * time.Second, 0.72, Normal, Moderate}, // 0.72 holds Moderate (exit 0.60)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hysteresis{thresholds: DefaultThresholds, calm: 5 * time.Second}
			for i, s := range tt.steps {
				got := h.step(observation{ratio: s.ratio, events: s.events}, t0.Add(s.at))
				if got != s.want {
					t.Fatalf("step %d (t=%v ratio=%.2f events=%v): level %v, want %v", i, s.at, s.ratio, s.events, got, s.want)
				}
			}
		})
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[Level]string{Normal: "normal", Moderate: "moderate", High: "high", Critical: "critical", 7: "level(7)"} {
		if got := l.String(); got != want {
			t.Errorf("Level(%d).String() = %q, want %q", int(l), got, want)
		}
	}
}

// advance moves a synctest bubble's fake clock by d.
func advance(d time.Duration) { <-time.After(d) }
