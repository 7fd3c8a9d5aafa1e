package main

import (
	"github.com/hashicorp/golang-lru/arc/v2"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// hashicorp/golang-lru v2: plain LRU (simplelru), 2Q and ARC. All are
// synchronous, so no extra maintenance is needed.

type hashicorpSim struct {
	get func(uint64) bool
	set func(uint64)
}

func (s hashicorpSim) Get(key uint64) bool { return s.get(key) }
func (s hashicorpSim) Set(key uint64)      { s.set(key) }
func (s hashicorpSim) Close()              {}

func newHashicorpLRU(capacity int) simCache {
	c, err := simplelru.NewLRU[uint64, struct{}](capacity, nil)
	if err != nil {
		panic(err)
	}
	return hashicorpSim{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		set: func(k uint64) { c.Add(k, struct{}{}) },
	}
}

func newHashicorp2Q(capacity int) simCache {
	c, err := lru.New2Q[uint64, struct{}](capacity)
	if err != nil {
		panic(err)
	}
	return hashicorpSim{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		set: func(k uint64) { c.Add(k, struct{}{}) },
	}
}

func newHashicorpARC(capacity int) simCache {
	c, err := arc.NewARC[uint64, struct{}](capacity)
	if err != nil {
		panic(err)
	}
	return hashicorpSim{
		get: func(k uint64) bool { _, ok := c.Get(k); return ok },
		set: func(k uint64) { c.Add(k, struct{}{}) },
	}
}
