package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Abandoned lists the steps still running after their caller returned at the
// deadline, process-wide, until they return: a growing list is a leak, and
// each entry names the client and the step that would not stop.
func ExampleAbandoned() {
	release := make(chan struct{})
	returned := make(chan struct{})

	m := runtime.NewManager(context.Background(), 10*time.Millisecond, runtime.WithName("example.Uploader"))
	m.Go("flush", func(ctx context.Context) error {
		defer close(returned)
		<-release // ignores ctx: a flush stuck on a peer
		return nil
	})
	fmt.Println(m.Wait() != nil)

	for _, a := range runtime.Abandoned() {
		if a.Client == "example.Uploader" {
			fmt.Println("still running:", a.Client, a.Step)
		}
	}

	close(release) // the peer answers at last
	<-returned
	for stillListed() {
		time.Sleep(time.Millisecond) // the step leaves the list as it returns
	}
	fmt.Println("listed after it returned:", stillListed())
	// Output:
	// true
	// still running: example.Uploader flush
	// listed after it returned: false
}

// stillListed reports whether Abandoned lists a step of example.Uploader.
func stillListed() bool {
	for _, a := range runtime.Abandoned() {
		if a.Client == "example.Uploader" {
			return true
		}
	}
	return false
}
