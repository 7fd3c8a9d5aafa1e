package pressure_test

import (
	"context"
	"fmt"

	"github.com/patinox/memory/pressure"
)

// A monitor with an explicit level, as an operator or a test would set it.
func ExampleMonitor_Set() {
	mon, err := pressure.NewMonitor(&pressure.Options{Limit: 1 << 50, Disable: pressure.SourcePSI})
	if err != nil {
		panic(err)
	}
	defer mon.Close()
	mon.Set(pressure.High)
	fmt.Println(mon.Level())
	// Output: high
}

// Watch yields the current level first, then each change.
func ExampleMonitor_Watch() {
	mon, err := pressure.NewMonitor(&pressure.Options{Limit: 1 << 50, Disable: pressure.SourcePSI})
	if err != nil {
		panic(err)
	}
	defer mon.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for lvl := range mon.Watch(ctx) {
		fmt.Println("level:", lvl)
		if lvl == pressure.Critical {
			break
		}
		mon.Set(pressure.Critical)
	}
	// Output:
	// level: normal
	// level: critical
}
