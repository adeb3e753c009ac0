package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// A CleanupError lists each step that did not succeed, and errors.Is and
// errors.As see through it to the steps' errors: a caller can branch on a
// deadline that cut a step short, or on the error of one resource.
func ExampleCleanupError() {
	stuck := make(chan struct{})
	defer close(stuck)

	m := runtime.NewManager(context.Background(), 50*time.Millisecond, runtime.WithName("example.Cache"))
	m.Go("index", func(ctx context.Context) error { return nil })
	m.Go("journal", func(ctx context.Context) error { return fs.ErrPermission })
	m.Go("peer", func(ctx context.Context) error {
		<-stuck // a peer that never answers
		return nil
	})
	err := m.Wait()

	var ce *runtime.CleanupError
	if errors.As(err, &ce) {
		fmt.Println(ce.Type)
		for _, t := range ce.Tasks { // only the steps that did not succeed
			fmt.Println(t.Name, t.State)
		}
	}
	fmt.Println(errors.Is(err, fs.ErrPermission))
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// example.Cache
	// journal failed
	// peer abandoned
	// true
	// true
}

// A step that panics does not crash the process: the panic becomes the
// step's error, a *PanicError, and errors.As finds it through the
// CleanupError.
func ExampleCleanupError_panic() {
	m := runtime.NewManager(context.Background(), time.Second)
	m.Go("encoder", func(ctx context.Context) error { panic("nil map") })
	err := m.Wait()

	var pe *runtime.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value)
	fmt.Println(m.Results()[0].State)
	// Output:
	// true nil map
	// panicked
}
