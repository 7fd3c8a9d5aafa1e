package pressure

import "fmt"

// Level is a memory-pressure level. Levels are ordered: a higher level means
// less free memory and a stronger reaction from subscribers.
type Level int

// The pressure levels, lowest first.
const (
	Normal   Level = iota // memory is comfortably below the limit
	Moderate              // trim what is cheap to rebuild
	High                  // give back everything reclaimable that is not critical
	Critical              // the process is about to hit the limit or the OOM killer
)

// String returns the level's name in lower case.
func (l Level) String() string {
	switch l {
	case Normal:
		return "normal"
	case Moderate:
		return "moderate"
	case High:
		return "high"
	case Critical:
		return "critical"
	}
	return fmt.Sprintf("level(%d)", int(l))
}

func (l Level) valid() bool { return l >= Normal && l <= Critical }

// Threshold is the pair of usage ratios (used/limit) that moves the monitor
// into a level and lets it leave that level again. Exit must be below Enter:
// the gap is the hysteresis that keeps a level from flapping.
type Threshold struct {
	Enter float64 // at or above this ratio the level is entered at once
	Exit  float64 // the level is left only after usage stays below this ratio for Options.Calm
}

// DefaultThresholds are the thresholds for Moderate, High and Critical used
// when Options.Thresholds is the zero value.
var DefaultThresholds = [3]Threshold{
	{Enter: 0.70, Exit: 0.60}, // Moderate
	{Enter: 0.85, Exit: 0.78}, // High
	{Enter: 0.95, Exit: 0.90}, // Critical
}
