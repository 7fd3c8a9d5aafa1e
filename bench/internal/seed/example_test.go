package seed_test

import (
	"fmt"

	"github.com/patinox/memory/bench/internal/seed"
)

// A seed user had to connect guard and registry by hand: register the
// guard's ID, run its cleanup, unregister.
func ExampleGuard() {
	r := seed.NewRegistry()
	defer r.Close()
	g := seed.NewGuard("scratch.tmp", func(name string) error {
		fmt.Println("removing", name)
		return nil
	})
	if err := r.Register(g.ID(), seed.Info{TypeName: "tempfile"}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("active:", r.ActiveCount())
	if err := g.Cleanup(); err != nil {
		fmt.Println(err)
	}
	r.Unregister(g.ID())
	fmt.Println("active:", r.ActiveCount())
	fmt.Println("again:", g.Cleanup())
	// Output:
	// active: 1
	// removing scratch.tmp
	// active: 0
	// again: seed: resource was already cleaned up
}
