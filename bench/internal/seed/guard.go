package seed

// Guard is the seed's AsyncResourceGuard[T]. Rust's ownership made a guard
// single-owner; in Go the caller must not use one Guard from two goroutines
// at once.
//
// SEED FLAW: the guard is not connected to the registry ("We'll add registry
// integration later"): releasing it does not unregister the resource, and a
// registry never learns about a guard that was dropped.
type Guard[T any] struct {
	resource T
	cleanup  func(T) error
	has      bool
	id       ID
}

// NewGuard is AsyncResourceGuard::new.
func NewGuard[T any](v T, cleanup func(T) error) *Guard[T] {
	return &Guard[T]{resource: v, cleanup: cleanup, has: true, id: GenerateID()}
}

// Get is get; it panics when the resource was consumed, as the seed's
// expect did.
func (g *Guard[T]) Get() T {
	if !g.has {
		panic("Resource was already consumed")
	}
	return g.resource
}

// ID is resource_id.
func (g *Guard[T]) ID() ID { return g.id }

// IntoInner is into_inner: the resource is returned and its cleanup never
// runs.
func (g *Guard[T]) IntoInner() T {
	v := g.Get()
	g.take()
	return v
}

// Cleanup is cleanup(): it runs the cleanup on the caller's goroutine.
func (g *Guard[T]) Cleanup() error {
	if !g.has {
		return ErrAlreadyCleanedUp
	}
	v, fn := g.take()
	return fn(v)
}

// Drop is Rust's Drop, which Go does not call for us.
//
// SEED FLAW: the cleanup runs on a new detached goroutine (tokio::spawn):
// nothing bounds how many run at once, nothing waits for them at shutdown,
// and an error is only logged (here: discarded).
// SEED FLAW: a guard that is simply forgotten (Go: becomes unreachable) is
// never cleaned up and never reported; the seed had no leak detection.
func (g *Guard[T]) Drop() {
	if !g.has {
		return
	}
	v, fn := g.take()
	go func() { _ = fn(v) }()
}

func (g *Guard[T]) take() (T, func(T) error) {
	v, fn := g.resource, g.cleanup
	var zero T
	g.resource, g.cleanup, g.has = zero, nil, false
	return v, fn
}
