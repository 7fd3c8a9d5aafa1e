package resourcetest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/patinox/memory/resource"
	"github.com/patinox/memory/resource/resourcetest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fakeT struct{ errs []string }

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestVerifyNone(t *testing.T) {
	r, err := resource.NewRegistry(nil)
	if err != nil {
		t.Fatal(err)
	}
	ft := &fakeT{}
	resourcetest.VerifyNone(ft, r)
	if len(ft.errs) != 0 {
		t.Fatalf("empty registry reported: %v", ft.errs)
	}
	id, err := r.Register(func(context.Context) error { return nil }, resource.WithKind("socket"))
	if err != nil {
		t.Fatal(err)
	}
	resourcetest.VerifyNone(ft, r)
	if len(ft.errs) != 1 || !strings.Contains(ft.errs[0], id.String()) || !strings.Contains(ft.errs[0], `"socket"`) {
		t.Errorf("VerifyNone reported %q; want one message naming %v socket", ft.errs, id)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := resourcetest.Describe(r); d != "" {
		t.Errorf("Describe after Shutdown = %q", d)
	}
	resourcetest.VerifyNone(t, r) // *testing.T satisfies TestingT
}
