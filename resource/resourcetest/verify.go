// Package resourcetest holds test helpers for code that uses
// github.com/patinox/memory/resource.
//
// It does not import package testing: helpers take the small TestingT
// interface, which *testing.T and *testing.B satisfy, so importing this
// package never drags testing into a production build.
//
// # Caveats
//
// VerifyNone looks at the registry at one instant: resources released
// asynchronously may still be in flight. Release synchronously, or call
// Registry.Shutdown, before verifying.
package resourcetest

import (
	"fmt"
	"strings"

	"github.com/patinox/memory/resource"
)

// TestingT is the part of *testing.T that VerifyNone uses.
type TestingT interface {
	Helper()
	Errorf(format string, args ...any)
}

// VerifyNone fails t (with Errorf, so the test goes on) if r still holds
// any resource, live or being released, listing each one with its ID,
// kind, priority, state and age. It is safe to call concurrently with
// other use of r.
func VerifyNone(t TestingT, r *resource.Registry) {
	t.Helper()
	if msg := Describe(r); msg != "" {
		t.Errorf("%s", msg)
	}
}

// Describe returns "" if r holds no resource, else a message listing them.
func Describe(r *resource.Registry) string {
	var b strings.Builder
	n := 0
	for in := range r.All() {
		n++
		fmt.Fprintf(&b, "\n\t%v kind=%q priority=%v state=%v age=%v", in.ID, in.Kind, in.Priority, in.State, in.Age)
		if len(in.Labels) > 0 {
			fmt.Fprintf(&b, " labels=%v", in.Labels)
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("resourcetest: %d resource(s) still live:%s", n, b.String())
}
