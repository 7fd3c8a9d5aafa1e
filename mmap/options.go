package mmap

import (
	"fmt"
	"log/slog"

	"github.com/patinox/memory/resource"
)

// Options configures OpenFile. A nil *Options means defaults; every zero
// field means its default.
type Options struct {
	// Registry, when set, tracks the mapping as a resource of Kind with size
	// = the mapped length (Grow updates it). Close
	// releases it exactly once, and the registry's Shutdown, Release or
	// ReleaseMatching closes the Map, waiting for running views only until
	// the cleanup's context ends (the error wraps the context's; new views
	// stay refused, and a retry or Close finishes the release).
	Registry *resource.Registry
	// Priority is the resource's priority in the Registry (default Low).
	Priority resource.Priority
	// Kind is the resource kind reported to the Registry (default "mmap").
	Kind string
	// Reclaimable lets the Registry's Reclaim take the mapping's pages back
	// (MADV_DONTNEED, then POSIX_FADV_DONTNEED) instead of closing it; the Map stays
	// usable and rereads pages from the file on the next access. A Map
	// that is locked (Lock) gives nothing back until Unlock. Only for
	// ReadOnly mappings (for the others OpenFile fails naming this field);
	// without a Registry it has no effect.
	Reclaimable bool
	// Logger receives a warning when a Map becomes unreachable without
	// Close, which the leak safety net then releases (see Close). Default:
	// slog.Default() at the time of the warning.
	Logger *slog.Logger
}

func (o *Options) withDefaults(mode Mode) (Options, error) {
	if err := validMode(mode); err != nil {
		return Options{}, err
	}
	var out Options
	if o != nil {
		out = *o
	}
	if out.Kind == "" {
		out.Kind = "mmap"
	}
	if out.Priority < resource.Low || out.Priority > resource.Critical {
		return out, fmt.Errorf("mmap: Options.Priority must be Low..Critical, got %d", int(out.Priority))
	}
	if out.Reclaimable && mode != ReadOnly {
		return out, fmt.Errorf("mmap: Options.Reclaimable needs a ReadOnly mapping, got %v", mode)
	}
	return out, nil
}
