package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// SetDeadlines turns deadlines off for the whole process, as
// CLEANUPGEN_DEADLINES=off does at start-up: every teardown then waits for
// its steps, however long they take. Tests use it to check the rollback
// path, and restore the setting when they end.
func ExampleSetDeadlines() {
	restore := runtime.SetDeadlines(false)
	fmt.Println("deadlines:", runtime.DeadlinesEnabled())

	m := runtime.NewManager(context.Background(), time.Millisecond)
	m.Go("slow", func(ctx context.Context) error {
		time.Sleep(20 * time.Millisecond) // 20 times the timeout
		return nil
	})
	fmt.Println("err:", m.Wait())
	fmt.Println("slow:", m.Results()[0].State)

	restore()
	fmt.Println("deadlines:", runtime.DeadlinesEnabled())
	// Output:
	// deadlines: false
	// err: <nil>
	// slow: ok
	// deadlines: true
}
