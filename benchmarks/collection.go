package benchmarks

import (
	"strconv"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Collection is the client of cmd/collection: a slice of resources, each
// element a step of its own, under a one-second timeout.
//
//cleanup:client timeout=1s
type Collection struct {
	guard runtime.Guard
	items []*Resource //cleanup:close
}

// NewCollection returns a Collection client that closes rs.
func NewCollection(rs []*Resource) Generated { return generated(&Collection{items: rs}) }

// SlowKey is a map key whose String method takes a millisecond: element
// names must not call it.
type SlowKey struct{ n int }

// String sleeps for a millisecond and names the key.
func (k SlowKey) String() string {
	time.Sleep(time.Millisecond)
	return "key" + strconv.Itoa(k.n)
}

// KeyedCollection is the client of cmd/collection's map case: resources in
// a map whose keys have a slow String method.
//
//cleanup:client timeout=1s
type KeyedCollection struct {
	guard runtime.Guard
	byKey map[SlowKey]*Resource //cleanup:close
}

// NewKeyedCollection returns a KeyedCollection client that closes rs, keyed
// by their index.
func NewKeyedCollection(rs []*Resource) Generated {
	c := &KeyedCollection{byKey: make(map[SlowKey]*Resource, len(rs))}
	for i, r := range rs {
		c.byKey[SlowKey{i}] = r
	}
	return generated(c)
}
