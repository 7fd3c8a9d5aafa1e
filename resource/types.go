package resource

import "strconv"

// ID identifies a resource within one Registry. IDs are unique per registry
// and never reused; they are not dense and, across goroutines, not ordered
// by registration time. The zero ID names no resource.
type ID uint64

// String returns the ID as "#n", the form used in every error message.
func (id ID) String() string { return "#" + strconv.FormatUint(uint64(id), 10) }

// Priority orders cleanups. The scheduler keeps one FIFO lane per priority and
// always serves a higher lane before a lower one.
type Priority int

// Priorities, lowest first. The zero value is Low; Track and Register default
// to Normal.
const (
	Low Priority = iota
	Normal
	High
	Critical
)

const numPriorities = 4

var priorityNames = [numPriorities]string{"low", "normal", "high", "critical"}

// String returns "low", "normal", "high" or "critical".
func (p Priority) String() string {
	if p.valid() {
		return priorityNames[p]
	}
	return "Priority(" + strconv.Itoa(int(p)) + ")"
}

func (p Priority) valid() bool { return p >= Low && p <= Critical }

// LeakLevel selects how much the leak detector does (Netty's levels).
type LeakLevel int

// Leak levels. The zero value is LeaksSampled.
const (
	// LeaksSampled detects every leaked Guard and records the creation stack
	// of one guard in Options.LeakSampleRate (default 128).
	LeaksSampled LeakLevel = iota
	// LeaksOff disables detection: a leaked Guard stays live until Shutdown.
	// Track is then cheapest (one allocation).
	LeaksOff
	// LeaksAll detects every leaked Guard and records every creation stack.
	LeaksAll
)

// String returns "sampled", "off" or "all".
func (l LeakLevel) String() string {
	switch l {
	case LeaksSampled:
		return "sampled"
	case LeaksOff:
		return "off"
	case LeaksAll:
		return "all"
	}
	return "LeakLevel(" + strconv.Itoa(int(l)) + ")"
}

// State is where one resource is in its life. A resource leaves Live exactly
// once, through a single atomic transition that decides which releaser wins.
type State int

// Resource states.
const (
	StateLive     State = iota // registered, cleanup not started
	StateWaiting               // claimed, waiting for its dependents to finish
	StateQueued                // claimed, waiting in a scheduler lane
	StateRunning               // a cleanup attempt (or the fallback) is running
	StateBackoff               // a failed attempt waits for its retry
	StateDone                  // cleanup finished (successfully or for good)
	StateDetached              // Detach removed it; its cleanup never runs
)

var stateNames = [...]string{"live", "waiting", "queued", "running", "backoff", "done", "detached"}

// String returns the lower-case name of the state.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Phase is the life phase of a Registry.
type Phase int

// Registry phases.
const (
	PhaseRunning  Phase = iota // accepting Track and Register
	PhaseDraining              // Shutdown in progress: new resources are refused
	PhaseStopped               // Shutdown returned
)

// String returns "running", "draining" or "stopped".
func (p Phase) String() string {
	switch p {
	case PhaseRunning:
		return "running"
	case PhaseDraining:
		return "draining"
	case PhaseStopped:
		return "stopped"
	}
	return "Phase(" + strconv.Itoa(int(p)) + ")"
}
