package benchmarks

import (
	"time"
)

// Behavior is what a Resource's Close does.
type Behavior int

const (
	// Noop returns at once.
	Noop Behavior = iota
	// Sleep1ms sleeps for a millisecond, as a flush over a fast link might.
	Sleep1ms
	// Hung blocks until its release channel is closed, ignoring every
	// context: a peer that never answers.
	Hung
)

// Behaviors lists every Behavior, in the order of the tables.
var Behaviors = []Behavior{Noop, Sleep1ms, Hung}

func (b Behavior) String() string {
	switch b {
	case Noop:
		return "noop"
	case Sleep1ms:
		return "1ms"
	case Hung:
		return "hung"
	}
	return "unknown"
}

// Resource is the resource every approach closes. Its Close takes no
// context and returns no error, so that every approach does the same work.
type Resource struct {
	behavior Behavior
	release  <-chan struct{}
}

// NewResources returns n resources that behave as b; hung ones block until
// release is closed.
func NewResources(n int, b Behavior, release <-chan struct{}) []*Resource {
	rs := make([]*Resource, n)
	for i := range rs {
		rs[i] = &Resource{behavior: b, release: release}
	}
	return rs
}

// Close does what the resource's Behavior says.
func (r *Resource) Close() error {
	switch r.behavior {
	case Sleep1ms:
		time.Sleep(time.Millisecond)
	case Hung:
		<-r.release
	}
	return nil
}
