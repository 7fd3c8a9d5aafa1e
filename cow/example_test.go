package cow_test

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/patinox/memory/cow"
)

func ExampleValue_Update() {
	type limits struct{ PerAgent map[string]int }
	clone := func(l limits) limits { return limits{PerAgent: maps.Clone(l.PerAgent)} }
	v := cow.New(limits{PerAgent: map[string]int{"planner": 4}}, clone)

	old := v.Load()
	_ = v.Update(func(l limits) (limits, error) {
		l.PerAgent["planner"] = 8
		return l, nil
	})
	err := v.Update(func(l limits) (limits, error) {
		l.PerAgent["planner"] = -1
		return l, errors.New("limit must be positive") // nothing is published
	})
	fmt.Println(old.PerAgent["planner"], v.Load().PerAgent["planner"], err)
	// Output: 4 8 limit must be positive
}

func ExampleVersioned_Watch() {
	vv := cow.NewVersioned("v1 config", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for snap := range vv.Watch(ctx) {
		fmt.Println(snap.Version, snap.Value)
		if snap.Version == 3 {
			break
		}
		vv.Store(fmt.Sprintf("v%d config", snap.Version+1))
	}
	// Output:
	// 1 v1 config
	// 2 v2 config
	// 3 v3 config
}

func ExampleLocked() {
	sessions := cow.NewLocked(map[string]int{})
	sessions.Write(func(m *map[string]int) { (*m)["agent-1"]++ })
	sessions.Read(func(m map[string]int) { fmt.Println(m["agent-1"]) })
	// Output: 1
}
