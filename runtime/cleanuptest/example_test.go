package cleanuptest_test

import (
	"errors"
	"fmt"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest/internal/store"
)

// The tests of a generated client, store.Store: its index is closed with
// "//cleanup:close Shutdown force=Kill timeout=200ms", its database with
// "//cleanup:close", within a second in all (//cleanup:client timeout=1s).
// In a _test.go file they are Test functions; the example runs the checks
// they make with CheckClosesCleanly, which returns what the assertions
// report.
func Example() {
	// func TestStoreCloses(t *testing.T) {
	// 	synctest.Test(t, func(t *testing.T) {
	// 		index := cleanuptest.IgnoreContext(t, time.Hour) // Kill stops it after 200ms
	// 		s := store.New(cleanuptest.OK(), index)
	// 		cleanuptest.RequireClosesCleanly(t, s) // within the plan's own second
	// 		assert.True(t, index.Killed())
	// 	})
	// }
	fmt.Println(cleanuptest.CheckClosesCleanly(store.New(cleanuptest.OK(), cleanuptest.OK())))

	// A database whose Close fails: the store does not close cleanly, and
	// the failure names the step.
	err := cleanuptest.CheckClosesCleanly(store.New(cleanuptest.Fail(errors.New("connection reset")), cleanuptest.OK()))
	var ce *runtime.CleanupError
	if errors.As(err, &ce) {
		for _, task := range ce.Tasks {
			fmt.Printf("%s: %s: %v\n", task.Name, task.State, task.Err)
		}
	}
	// Output:
	// <nil>
	// db: failed: connection reset
}

// The option takes its snapshot of the process's goroutines when it is
// made: make it before the client, so that the client's own goroutines
// count.
func ExampleNoLeakedGoroutines() {
	noLeaks := cleanuptest.NoLeakedGoroutines()
	s := store.New(cleanuptest.OK(), cleanuptest.OK())
	fmt.Println(cleanuptest.CheckClosesCleanly(s, noLeaks))
	// Output: <nil>
}
