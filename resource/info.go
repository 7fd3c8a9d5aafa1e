package resource

import (
	"slices"
	"time"
)

// Info describes one resource at the moment it was taken.
type Info struct {
	ID          ID
	Kind        string
	Priority    Priority
	Size        int64
	State       State
	Labels      []string // key, value, key, value, ... as given to WithLabels
	DependsOn   []ID
	Created     time.Time
	Age         time.Duration
	LastTouch   time.Time // for a resource with an idle timeout; else Created
	TTL         time.Duration
	IdleTimeout time.Duration
	Reclaimable bool
}

// Label returns the value of label key and whether it was set.
func (in Info) Label(key string) (string, bool) {
	for i := 0; i+1 < len(in.Labels); i += 2 {
		if in.Labels[i] == key {
			return in.Labels[i+1], true
		}
	}
	return "", false
}

func (r *Registry) info(e *entry) Info {
	in := Info{ID: e.id, Kind: e.kind, Priority: e.priority(), Size: e.size.Load(), State: State(e.st()),
		Created: r.wall(e.born), Age: time.Duration(r.now() - e.born)}
	if in.State == State(stNew) || in.State == State(stHeld) {
		in.State = StateLive
	}
	in.LastTouch = in.Created
	if x := e.x; x != nil {
		in.Labels = slices.Clone(x.labels)
		in.DependsOn = slices.Clone(x.depIDs)
		in.TTL, in.IdleTimeout = x.ttl, x.idle
		in.Reclaimable = e.reclaimable()
		if x.idle > 0 {
			in.LastTouch = r.wall(x.touched.Load())
		}
	}
	return in
}
