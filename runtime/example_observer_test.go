package runtime_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// storeObserver keeps the reports of example.Store's teardowns. Its methods
// run on the runtime's delivery goroutine, hence the lock.
type storeObserver struct {
	mu      sync.Mutex
	reports []runtime.Report
}

func (o *storeObserver) Ended(r runtime.Report) {
	if r.Client != "example.Store" {
		return // the observer sees every teardown of the process
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.reports = append(o.reports, r)
}

func (o *storeObserver) Returned(client string, s runtime.StepReport) {}

// An Observer gets a Report of every teardown of the process, every step
// included, after the caller has returned. Flush waits for the delivery, as
// a program about to exit (or a test) does.
func ExampleAddObserver() {
	o := &storeObserver{}
	remove := runtime.AddObserver(o)
	defer remove()

	s := newStore() // see the Plan example: one of its caches fails
	_ = s.Close()
	if err := runtime.Flush(context.Background()); err != nil {
		fmt.Println(err)
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.reports {
		fmt.Println(r.Client, "failed:", r.Err != nil, "ended after it started:", !r.End.Before(r.Start))
		for _, s := range r.Steps {
			fmt.Println(" ", s.Name, s.State)
		}
	}
	// Output:
	// example.Store failed: true ended after it started: true
	//   cancel ok
	//   db ok
	//   caches[0] ok
	//   caches[1] failed
	//   caches[2] ok
}
