package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// CloseOnSignal is what a main function calls once its servers run: it waits
// for SIGINT or SIGTERM, or for its context to end, then closes the process
// (a client whose fields are its servers and clients) within the grace
// period, and the exit status says how that went. Here the context ends it,
// as in a test; in a program, a SIGTERM from the kubelet does.
func ExampleCloseOnSignal() {
	s := newStore() // the process as a client (see the Plan example); a cache fails

	ctx, stop := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, stop) // stands in for SIGTERM

	err := runtime.CloseOnSignal(ctx, s, 5*time.Second)

	var ce *runtime.CleanupError
	switch {
	case errors.Is(err, runtime.ErrInterrupted):
		fmt.Println("exit 3: a second signal cut the close short")
	case errors.As(err, &ce):
		for _, t := range ce.Tasks {
			fmt.Println("step", t.Name, t.State)
		}
		fmt.Println("exit 1")
	case err != nil:
		fmt.Println("exit 1:", err)
	default:
		fmt.Println("exit 0")
	}
	// Output:
	// step caches[1] failed
	// exit 1
}
