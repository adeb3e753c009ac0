package runtime_test

import (
	"context"
	"fmt"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Subscription has a call that blocks until a message comes: it enters the
// guard with EnterContext, so that closing ends the call at once instead of
// waiting half its deadline for it.
type Subscription struct {
	guard runtime.Guard
	msgs  chan string
}

var subscriptionPlan = runtime.Plan[Subscription, subscriptionRefs]{
	Type:    "example.Subscription",
	Timeout: time.Second,
}

type subscriptionRefs struct{}

func (*subscriptionRefs) Take(*Subscription)                          {}
func (*subscriptionRefs) Drop(s *Subscription)                        { s.msgs = nil }
func (*subscriptionRefs) Len(int) int                                 { return 0 }
func (*subscriptionRefs) Name(int, int) string                        { return "" }
func (*subscriptionRefs) Close(context.Context, int, int, bool) error { return nil }

func (s *Subscription) Close() error {
	return subscriptionPlan.Close(context.Background(), &s.guard, s)
}

// Receive waits for the next message.
func (s *Subscription) Receive(ctx context.Context) (string, error) {
	ctx, leave, err := s.guard.EnterContext(ctx)
	if err != nil {
		return "", err
	}
	defer leave()
	select {
	case m := <-s.msgs:
		return m, nil
	case <-ctx.Done():
		return "", context.Cause(ctx) // runtime.ErrClosed once closing began
	}
}

func ExampleGuard_EnterContext() {
	s := &Subscription{msgs: make(chan string)}

	received := make(chan error)
	go func() {
		_, err := s.Receive(context.Background()) // no message ever comes
		received <- err
	}()
	time.Sleep(10 * time.Millisecond) // let it block (if it has not, it gets ErrClosed from EnterContext)

	start := time.Now()
	fmt.Println("close:", s.Close())
	fmt.Println("receive:", <-received)
	fmt.Println("close waited less than half its timeout:", time.Since(start) < subscriptionPlan.Timeout/2)
	// Output:
	// close: <nil>
	// receive: cleanupgen: client is closed
	// close waited less than half its timeout: true
}
