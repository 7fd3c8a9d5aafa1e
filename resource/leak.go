package resource

import (
	"math/rand/v2"
	"runtime"
	"sort"
	"sync"
)

// Leak detection. A Track under LeaksSampled or LeaksAll attaches a
// runtime.AddCleanup to the Guard whose argument is the entry (never the
// Guard: the registry must not keep the Guard reachable). If the Guard
// becomes unreachable while its entry is still live, leakFound runs on the
// runtime's cleanup goroutine; it only claims the entry and enqueues it. A
// worker then reports the leak (reportLeak) and runs the cleanup like any
// other queued cleanup. If the Guard was released first, leakFound finds
// the entry claimed and does nothing.

func leakFound(e *entry) {
	if e.claim(rsLeaked, stQueued) {
		e.reg.sched.enqueue(e)
	}
}

// sampleStack reports whether this Track records its creation stack.
func (r *Registry) sampleStack() bool {
	switch r.cfg.leaks {
	case LeaksAll:
		return true
	case LeaksSampled:
		return r.cfg.sampleRate <= 1 || rand.Uint32N(uint32(r.cfg.sampleRate)) == 0
	}
	return false
}

// captureStack records the stack of Track's caller.
func captureStack() []uintptr {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(3, pcs)
	return pcs[:n:n]
}

// LeakReport summarizes the leaks of one site: one kind and one creation
// stack ("" when the stack was not recorded).
type LeakReport struct {
	Kind  string
	Stack string
	Count int64
}

const maxLeakSites = 1024

// leakLog de-duplicates leak reports by kind and creation stack.
type leakLog struct {
	mu    sync.Mutex // protects sites
	sites map[leakKey]*LeakReport
}

type leakKey struct{ kind, stack string }

// note counts a leak and returns how many this site has had.
func (l *leakLog) note(kind, stack string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sites == nil {
		l.sites = make(map[leakKey]*LeakReport)
	}
	k := leakKey{kind, stack}
	s := l.sites[k]
	if s == nil {
		if len(l.sites) >= maxLeakSites {
			k.stack = "(stack not kept: too many leak sites)"
			if s = l.sites[k]; s == nil {
				s = &LeakReport{Kind: kind, Stack: k.stack}
				l.sites[k] = s
			}
		} else {
			s = &LeakReport{Kind: kind, Stack: stack}
			l.sites[k] = s
		}
	}
	s.Count++
	return s.Count
}

func (r *Registry) reportLeak(e *entry) {
	r.shardOf(e.id).c.leaked.Add(1)
	stack := e.stackString()
	n := r.leaks.note(e.kind, stack)
	if r.obs == nil {
		return
	}
	ev := r.event(Leaked, e, 0, nil)
	ev.Count = n
	if n == 1 {
		ev.Stack = stack
	}
	r.obs.Observe(ev)
}

// LeakReports returns one report per leak site (kind and creation stack),
// most frequent first. It is bounded: after 1024 distinct sites further
// stacks are counted together per kind.
func (r *Registry) LeakReports() []LeakReport {
	if r == nil { // holds nothing
		return nil
	}
	r.leaks.mu.Lock()
	out := make([]LeakReport, 0, len(r.leaks.sites))
	for _, s := range r.leaks.sites {
		out = append(out, *s)
	}
	r.leaks.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Kind+out[i].Stack < out[j].Kind+out[j].Stack
	})
	return out
}
