package pool_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/patinox/memory/pool"
)

type conn struct{ id int }

func Example() {
	n := 0
	create := func(context.Context) (*conn, error) { n++; return &conn{id: n}, nil }
	destroy := func(context.Context, *conn) error { return nil }
	p, err := pool.New(create, destroy, &pool.Options[*conn]{MaxSize: 2})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	l, err := p.Acquire(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("using connection", l.Value().id)
	l.Release()

	l, _ = p.Acquire(ctx) // reused
	fmt.Println("using connection", l.Value().id)
	l.Release()

	s := p.Stats()
	fmt.Println("created", s.Created, "acquires", s.Acquires, "idle", s.Idle)
	fmt.Println(p.Close(ctx))
	// Output:
	// using connection 1
	// using connection 1
	// created 1 acquires 2 idle 1
	// <nil>
}

func ExamplePool_TryAcquire() {
	create := func(context.Context) (*conn, error) { return &conn{id: 1}, nil }
	destroy := func(context.Context, *conn) error { return nil }
	p, _ := pool.New(create, destroy, &pool.Options[*conn]{MaxSize: 1})
	ctx := context.Background()
	l, _ := p.TryAcquire(ctx)
	_, err := p.TryAcquire(ctx)
	fmt.Println(errors.Is(err, pool.ErrExhausted))
	l.Release()
	fmt.Println(p.Close(ctx))
	// Output:
	// true
	// <nil>
}

func ExampleNew_invalidOptions() {
	create := func(context.Context) (*conn, error) { return &conn{}, nil }
	destroy := func(context.Context, *conn) error { return nil }
	_, err := pool.New(create, destroy, &pool.Options[*conn]{MaxSize: 2, MinIdle: 3})
	fmt.Println(err)
	// Output:
	// pool: Options.MinIdle must be <= MaxSize (2), got 3
}

func ExampleNewKeyed() {
	createFor := func(_ context.Context, backend string) (string, error) { return "conn to " + backend, nil }
	destroy := func(context.Context, string) error { return nil }
	k, _ := pool.NewKeyed(createFor, destroy, &pool.KeyedOptions[string, string]{MaxPerKey: 2, MaxTotal: 3})
	ctx := context.Background()
	for _, backend := range []string{"openai", "anthropic", "openai"} {
		l, _ := k.Acquire(ctx, backend)
		fmt.Println(l.Value())
		l.Release()
	}
	s := k.Stats()
	fmt.Println("total", s.Total.Size, "openai", s.PerKey["openai"].Size)
	fmt.Println(k.Close(ctx))
	// Output:
	// conn to openai
	// conn to anthropic
	// conn to openai
	// total 2 openai 1
	// <nil>
}
