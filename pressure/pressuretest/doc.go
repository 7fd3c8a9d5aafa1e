// Package pressuretest holds test helpers for code that reacts to
// github.com/patinox/memory/pressure: a [pressure.Monitor] whose level only
// the test changes, with [pressure.Monitor.Set].
//
// It does not import package testing: helpers take the small TestingT
// interface, which *testing.T and *testing.B satisfy, so importing this
// package never drags testing into a production build.
//
// A test of a component's reaction to memory pressure:
//
//	func TestShrinksUnderPressure(t *testing.T) {
//		synctest.Test(t, func(t *testing.T) {
//			mon := pressuretest.Manual(t)
//			c, _ := cache.New(&cache.Options[string, []byte]{MaxEntries: 1000, Pressure: mon})
//			defer c.Close()
//			// ... fill c ...
//			mon.Set(pressure.High)
//			synctest.Wait() // the cache has evicted down to half its bound
//			// ... check c.Len() ...
//		})
//	}
//
// # Caveats
//
//   - The monitor still polls the Go runtime once per interval (against a
//     limit of 2^50 bytes it never reaches); under testing/synctest that
//     poll runs on the bubble's fake clock.
//   - Delivery to subscribers is asynchronous: after Set, wait for the
//     reaction (synctest.Wait, or a channel) before checking. Deliveries to
//     one subscriber are at least the monitor's interval (one second) apart,
//     the newest level winning: a test that sets two levels in a row sees
//     the second one reach the component a second later (advance the
//     bubble's clock).
//   - The calm period is an hour: a level the test set holds for an hour
//     of (fake) time, then steps down one level per hour like any measured
//     level. Set Normal to end the pressure at once.
//   - Make the monitor inside the synctest bubble whose test uses it, as
//     above. One made outside runs on the real clock (its interval and
//     calm period are real seconds and hours), and its goroutines are not
//     the bubble's: synctest.Wait does not wait for its deliveries.
package pressuretest
