package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// The Manager's deadline is the earlier of its context's deadline and now
// plus its timeout, and every task's context carries it, so that a task
// can give each call it makes a share of the time left.
func ExampleNewManager() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	parent, _ := ctx.Deadline()

	m := runtime.NewManager(ctx, time.Hour, runtime.WithName("example.Server"))
	fmt.Println("deadline from ctx:", m.Deadline().Equal(parent))

	var taskDeadline time.Time
	m.Go("drain", func(ctx context.Context) error {
		taskDeadline, _ = ctx.Deadline()
		return nil
	})
	fmt.Println(m.Wait())
	fmt.Println("the task's deadline too:", taskDeadline.Equal(parent))
	// Output:
	// deadline from ctx: true
	// <nil>
	// the task's deadline too: true
}

// Tasks may be added while others run, from any goroutine: here one per
// connection, each its own named step in the results.
func ExampleManager_Go() {
	m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("example.Pool"))
	for _, conn := range []string{"conns[0]", "conns[1]", "conns[2]"} {
		m.Go(conn, func(ctx context.Context) error { return nil })
	}
	fmt.Println(m.Wait())
	for _, r := range m.Results() {
		fmt.Println(r.Name, r.State)
	}
	// Output:
	// <nil>
	// conns[0] ok
	// conns[1] ok
	// conns[2] ok
}
