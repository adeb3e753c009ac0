package resources

import (
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Timed holds what no directive can tear down as it is.
//
//cleanup:client
type Timed struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Timed`
	guard runtime.Guard

	// want +1 `field timer of Timed holds a resource \(\*time.Timer\) .*add //cleanup:close Stop,`
	timer *time.Timer
	// want +1 `field out of Timed holds a resource \(a channel the package makes and closes\) .*add //cleanup:close order=0 \(order=0: closing it tells`
	out chan<- int
}

// NewTimed makes the client's channel.
func NewTimed() *Timed {
	var t Timed
	t.out = make(chan int)
	return &t
}

func (t *Timed) finish() { close(t.out) }
