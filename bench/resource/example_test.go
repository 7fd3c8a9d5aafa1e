package resource_test

import (
	"fmt"
	"time"

	rb "github.com/patinox/memory/bench/resource"
)

func ExampleMedian() {
	fmt.Println(rb.Median([]float64{310, 290, 1200, 305, 300}))
	// Output: 305
}

// A small critical-delay run: every cleanup runs, and the Critical one
// starts long before the seed's would.
func ExampleCriticalDelay() {
	res, err := rb.CriticalDelay(rb.OursImpl(rb.LeaksOff), rb.DelayConfig{Burst: 1000, Work: 10 * time.Microsecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("started before the burst drained:", res.Delay < res.Drain)
	// Output: started before the burst drained: true
}
