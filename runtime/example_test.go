package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// A Manager tears several resources down concurrently and returns by its
// deadline, however long they take.
func ExampleManager() {
	stuck := make(chan struct{})
	defer close(stuck)

	m := runtime.NewManager(context.Background(), 200*time.Millisecond, runtime.WithName("server"))
	m.Go("listener", func(ctx context.Context) error { return nil })
	m.Go("database", func(ctx context.Context) error { return errors.New("connection reset") })
	m.Go("stream", func(ctx context.Context) error {
		<-stuck // a peer that never answers
		return nil
	})
	err := m.Wait()

	for _, r := range m.Results() {
		fmt.Println(r.Name, r.State)
	}
	fmt.Println(errors.Is(err, context.DeadlineExceeded))
	// Output:
	// listener ok
	// database failed
	// stream abandoned
	// true
}

// Conn is a client that uses a Guard: calls that start after Close get
// ErrClosed instead of a nil dereference.
type Conn struct {
	guard runtime.Guard
	lines []string
}

func (c *Conn) Send(line string) error {
	if err := c.guard.Enter(); err != nil {
		return err
	}
	defer c.guard.Leave()
	c.lines = append(c.lines, line)
	return nil
}

// connRefs is what cleanupgen would generate for Conn: it has no step, and
// drops lines.
type connRefs struct{}

func (*connRefs) Take(*Conn)                                  {}
func (*connRefs) Drop(c *Conn)                                { c.lines = nil }
func (*connRefs) Len(int) int                                 { return 0 }
func (*connRefs) Name(int, int) string                        { return "" }
func (*connRefs) Close(context.Context, int, int, bool) error { return nil }

var connTeardown = runtime.Plan[Conn, connRefs]{Type: "example.Conn", Timeout: time.Second}

func (c *Conn) Close() error {
	return connTeardown.Close(context.Background(), &c.guard, c)
}

func ExampleGuard() {
	c := &Conn{}
	fmt.Println(c.Send("hello"))
	fmt.Println(c.Close())
	fmt.Println(c.Send("too late"))
	fmt.Println(c.guard.Closed())
	// Output:
	// <nil>
	// <nil>
	// cleanupgen: client is closed
	// true
}
