package cache

import (
	"context"
	"testing"
	"testing/synctest"
)

// TestLoadSharedValueRegistrationReleasedIsStored: a loaded value already
// cached under another key is registered again, and that duplicate
// registration is dropped for the first one when the value is stored. If
// the registry releases the duplicate before the store (as in
// TestRegistryReleaseRacesSet's "second key's registration released before
// stored", where Set caches the value under both keys), the value is
// neither closed nor left out of the cache: it is stored under the
// first registration. GetOrLoad must then return it, as Get does. On
// a0c431f insert reports errReleasedBeforeStored whenever the new
// registration is gone, so GetOrLoad fails (resource.ErrReleased) although
// the value is cached and open.
func TestLoadSharedValueRegistrationReleasedIsStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		reg, c := newTrackedCache[string](t)
		obs := &releaseOnRegister{reg: reg}
		c.tracker.registered = obs.registered
		v := &conn{name: "v"}
		c.Set("a", v)
		obs.armed.Store(true) // the registry releases b's registration before the store
		got, err := c.GetOrLoad(context.Background(), "b", func(context.Context, string) (*conn, error) { return v, nil })
		synctest.Wait()
		cached, ok := c.Get("b")
		if !ok || cached != v || v.closes.Load() != 0 {
			t.Fatalf("after the load: Get(b) = %v, %v; %d closes; want v, true, 0 (the premise of this test)", cached, ok, v.closes.Load())
		}
		if err != nil || got != v {
			t.Errorf("GetOrLoad(b) = %v, %v; want v (cached under b, open), nil", got, err)
		}
		c.Close()
		synctest.Wait()
		if n := v.closes.Load(); n != 1 {
			t.Errorf("value closed %d times after Close, want 1", n)
		}
	})
}
