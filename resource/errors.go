package resource

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Errors returned by this package wrap them; test with errors.Is.
var (
	// ErrShuttingDown: the registry is draining or stopped and refuses new resources.
	ErrShuttingDown = errors.New("resource: registry is shutting down")
	// ErrReleased: the resource's cleanup was already claimed (it is being
	// or has been released, or was detached). The caller's cleanup call did
	// nothing: exactly one releaser wins. (A resource whose claim a Shutdown
	// with an ended context left unfinished gives ErrShuttingDown instead.)
	ErrReleased = errors.New("resource: already released")
	// ErrNotFound: no live resource has that ID in this registry.
	ErrNotFound = errors.New("resource: not found")
)

// CleanupError reports a cleanup that failed for good: every attempt the
// recovery strategy allowed failed (and the fallback, if one ran, failed
// too). It is returned to a synchronous releaser, kept in Failures, sent in
// a GaveUp event and included in a ShutdownError.
type CleanupError struct {
	ID       ID
	Kind     string
	Priority Priority
	Attempts int    // attempts of the main cleanup
	Panic    any    // the recovered panic value if the last failure was a panic, else nil
	Stack    string // the panicking goroutine's stack when Panic != nil
	Fallback bool   // a fallback ran (and failed; its error is joined into Err)
	Err      error  // the cause chain
}

// Error describes the resource, the attempts and the cause.
func (e *CleanupError) Error() string {
	var b strings.Builder
	b.WriteString("resource ")
	b.WriteString(e.ID.String())
	if e.Kind != "" {
		b.WriteString(" (" + e.Kind + ")")
	}
	b.WriteString(": cleanup failed after ")
	b.WriteString(strconv.Itoa(e.Attempts))
	if e.Attempts == 1 {
		b.WriteString(" attempt")
	} else {
		b.WriteString(" attempts")
	}
	if e.Fallback {
		b.WriteString(" and fallback")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *CleanupError) Unwrap() error { return e.Err }

// PanicError is the error of an attempt whose cleanup panicked.
type PanicError struct {
	Value any    // the value passed to panic
	Stack string // the stack of the panicking goroutine
}

// Error returns "cleanup panicked: " and the panic value.
func (e *PanicError) Error() string { return fmt.Sprintf("cleanup panicked: %v", e.Value) }

// Unwrap returns the panic value if it is an error.
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// Strategy implements the self-classification: a panic is a bug, so it is
// not retried; the fallback runs if there is one.
func (e *PanicError) Strategy() Strategy { return Fallback }

// ShutdownError reports what Shutdown could not finish: the resources still
// unfinished when its context ended, and every cleanup that failed for good
// during the shutdown. Nothing is skipped silently.
type ShutdownError struct {
	Err        error           // the context's error if it ended first, else nil
	Unfinished []Info          // resources whose cleanup did not finish (State says where they were)
	Failed     []*CleanupError // cleanups that failed for good during the shutdown
}

// Error lists what did not finish and what failed.
func (e *ShutdownError) Error() string {
	var b strings.Builder
	b.WriteString("resource: shutdown")
	if e.Err != nil {
		b.WriteString(" ended early (" + e.Err.Error() + ")")
	}
	if n := len(e.Unfinished); n > 0 {
		fmt.Fprintf(&b, "; %d did not finish:", n)
		for i, in := range e.Unfinished {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %v (%s, %v, %v)", in.ID, kindOr(in.Kind), in.Priority, in.State)
		}
	}
	if n := len(e.Failed); n > 0 {
		fmt.Fprintf(&b, "; %d failed:", n)
		for i, f := range e.Failed {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(" " + f.Error())
		}
	}
	return b.String()
}

// Unwrap returns the context error (if any) and every *CleanupError.
func (e *ShutdownError) Unwrap() []error {
	errs := make([]error, 0, len(e.Failed)+1)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	for _, f := range e.Failed {
		errs = append(errs, f)
	}
	return errs
}

func kindOr(k string) string {
	if k == "" {
		return "-"
	}
	return k
}

func errReleased(id ID) error { return fmt.Errorf("resource %v: %w", id, ErrReleased) }
func errNotFound(id ID) error { return fmt.Errorf("resource %v: %w", id, ErrNotFound) }
func errShuttingDown() error  { return ErrShuttingDown }

// errClaimed is the error of a release or Detach of resource id (entry e,
// incarnation inc) that lost the claim: ErrReleased, unless a Shutdown
// whose context ended left e unfinished, its cleanup dropped, never to run
// (abandon): then the registry has stopped without releasing it, which
// ErrReleased ("another releaser won") would hide.
func errClaimed(e *entry, inc uint32, id ID) error {
	if e.incOf() == inc && e.isAbandoned() {
		return fmt.Errorf("resource %v: left unfinished by Shutdown: %w", id, ErrShuttingDown)
	}
	return errReleased(id)
}
