package resource_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/patinox/memory/resource"
)

type Conn struct{ name string }

func (c *Conn) Close() error {
	fmt.Println("closed", c.name)
	return nil
}

// Track a value, use it, release it: the cleanup runs exactly once.
func Example() {
	r, err := resource.NewRegistry(nil)
	if err != nil {
		panic(err)
	}
	defer r.Shutdown(context.Background())

	g, err := resource.Track(r, &Conn{name: "llm-1"}, func(_ context.Context, c *Conn) error { return c.Close() },
		resource.WithKind("llm-conn"), resource.WithPriority(resource.High))
	if err != nil {
		panic(err)
	}
	fmt.Println("using", g.Value().name, "live:", r.Len())
	if err := g.Close(); err != nil {
		panic(err)
	}
	err = g.Close()
	fmt.Println("second close:", errors.Is(err, resource.ErrReleased), "live:", r.Len())
	// Output:
	// using llm-1 live: 1
	// closed llm-1
	// second close: true live: 0
}

// Register a bare cleanup; a failing cleanup is retried, then reported.
func ExampleRegistry_Register() {
	r, err := resource.NewRegistry(&resource.Options{MaxAttempts: 3, RetryBackoff: 1})
	if err != nil {
		panic(err)
	}
	defer r.Shutdown(context.Background())

	tries := 0
	id, err := r.Register(func(context.Context) error {
		tries++
		if tries < 3 {
			return errors.New("server busy")
		}
		fmt.Println("temp dir removed on try", tries)
		return nil
	}, resource.WithKind("tempdir"))
	if err != nil {
		panic(err)
	}
	fmt.Println("release:", r.Release(context.Background(), id))

	id, _ = r.Register(func(context.Context) error {
		return resource.Classify(errors.New("disk gone"), resource.Fail)
	}, resource.WithKind("tempfile"))
	err = r.Release(context.Background(), id)
	var ce *resource.CleanupError
	fmt.Println(errors.As(err, &ce), ce.Kind, ce.Attempts, len(r.Failures()))
	// Output:
	// temp dir removed on try 3
	// release: <nil>
	// true tempfile 1 1
}

// Shutdown releases dependents before what they depend on, then by
// priority, Critical first.
func ExampleRegistry_Shutdown() {
	r, err := resource.NewRegistry(&resource.Options{Workers: 1})
	if err != nil {
		panic(err)
	}
	say := func(s string) func(context.Context) error {
		return func(context.Context) error { fmt.Println(s); return nil }
	}
	pool, _ := r.Register(say("close connection pool"), resource.WithPriority(resource.Critical))
	r.Register(say("close session (uses the pool)"), resource.DependsOn(pool), resource.WithPriority(resource.Low))
	r.Register(say("flush metrics"), resource.WithPriority(resource.High))
	r.Register(say("remove temp file"), resource.WithPriority(resource.Low))

	fmt.Println("shutdown:", r.Shutdown(context.Background()))
	_, err = r.Register(say("too late"))
	fmt.Println(errors.Is(err, resource.ErrShuttingDown))
	// Output:
	// flush metrics
	// close session (uses the pool)
	// close connection pool
	// remove temp file
	// shutdown: <nil>
	// true
}

// Reclaim frees memory from Reclaimable resources, lowest priority first;
// ReclaimWith shrinks a resource instead of releasing it.
func ExampleRegistry_Reclaim() {
	r, err := resource.NewRegistry(&resource.Options{Workers: 1})
	if err != nil {
		panic(err)
	}

	drop := func(name string) func(context.Context) error {
		return func(context.Context) error { fmt.Println("dropped", name); return nil }
	}
	r.Register(drop("embedding cache"), resource.Reclaimable(), resource.WithSize(64<<20), resource.WithPriority(resource.Low))
	r.Register(drop("prompt cache"), resource.Reclaimable(), resource.WithSize(8<<20), resource.WithPriority(resource.High))
	r.Register(drop("model weights"), resource.Reclaimable(), resource.WithSize(1<<30), resource.WithPriority(resource.Critical))
	r.Register(drop("vector index"), resource.WithPriority(resource.Normal), resource.ReclaimWith(func(context.Context) (int64, error) {
		fmt.Println("vector index shrunk")
		return 16 << 20, nil
	}))

	freed, err := r.Reclaim(context.Background(), 70<<20)
	fmt.Printf("freed %d MiB, err %v, live %d\n", freed>>20, err, r.Len())
	fmt.Println("shutdown:", r.Shutdown(context.Background()))
	// Output:
	// dropped embedding cache
	// vector index shrunk
	// freed 80 MiB, err <nil>, live 3
	// dropped model weights
	// dropped prompt cache
	// dropped vector index
	// shutdown: <nil>
}

// SlogObserver logs every event; here without timestamps and ages, so the
// output is stable.
func ExampleSlogObserver() {
	h := slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "age" || a.Key == "id" {
				return slog.Attr{}
			}
			return a
		},
	})
	r, err := resource.NewRegistry(&resource.Options{Logger: slog.New(h), MaxAttempts: 2, RetryBackoff: 1})
	if err != nil {
		panic(err)
	}
	busy := true
	id, _ := r.Register(func(context.Context) error {
		if busy {
			busy = false
			return errors.New("disk busy")
		}
		return nil
	}, resource.WithKind("spool"), resource.WithSize(4096))
	_ = r.Release(context.Background(), id)
	_ = r.Shutdown(context.Background())
	// Output:
	// level=DEBUG msg="resource registered" kind=spool priority=normal size=4096
	// level=WARN msg="resource cleanup-failed" kind=spool priority=normal size=4096 attempt=1 err="disk busy"
	// level=INFO msg="resource retrying" kind=spool priority=normal size=4096 attempt=2
	// level=DEBUG msg="resource released" kind=spool priority=normal size=4096 attempt=2
	// level=INFO msg="resource shutdown-started"
	// level=INFO msg="resource shutdown-done"
}
