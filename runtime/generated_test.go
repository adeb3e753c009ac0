package runtime

import (
	"context"
	"errors"
	"testing"
)

type plainCloser struct{ closed int }

func (c *plainCloser) Close() error { c.closed++; return nil }

type ctxCloser struct {
	plainCloser
	ctx context.Context
}

func (c *ctxCloser) CloseContext(ctx context.Context) error { c.ctx = ctx; return errors.New("ctx") }

func TestCallClose(t *testing.T) {
	p := &plainCloser{}
	if err := CallClose(context.Background(), p); err != nil || p.closed != 1 {
		t.Fatalf("CallClose(plain) = %v, closed %d times; want nil, 1", err, p.closed)
	}
	type key struct{}
	ctx := context.WithValue(context.Background(), key{}, 1)
	c := &ctxCloser{}
	if err := CallClose(ctx, c); err == nil || c.ctx != ctx || c.closed != 0 {
		t.Fatalf("CallClose(client) = %v, ctx passed %v, Close called %d times; want CloseContext(ctx) only", err, c.ctx == ctx, c.closed)
	}
}

func TestIsZero(t *testing.T) {
	type handle struct{ h uintptr }
	var nilPtr *int
	tests := []struct {
		name string
		zero bool
		got  bool
	}{
		{"nil pointer", true, IsZero(nilPtr)},
		{"pointer", false, IsZero(new(int))},
		{"zero struct", true, IsZero(handle{})},
		{"struct", false, IsZero(handle{h: 3})},
		{"nil interface", true, IsZero[error](nil)},
		{"uncomparable struct", true, IsZero(struct{ s []int }{})},
	}
	for _, tt := range tests {
		if tt.got != tt.zero {
			t.Errorf("IsZero(%s) = %v, want %v", tt.name, tt.got, tt.zero)
		}
	}
}

func TestWaitClosed(t *testing.T) {
	ch := make(chan int, 2)
	ch <- 1
	ch <- 2
	close(ch)
	if err := WaitClosed(context.Background(), ch); err != nil {
		t.Errorf("WaitClosed(closed) = %v, want nil", err)
	}
	if err := WaitClosed[int](context.Background(), nil); err != nil {
		t.Errorf("WaitClosed(nil) = %v, want nil", err)
	}
	cause := errors.New("deadline")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if err := WaitClosed(ctx, make(chan struct{})); !errors.Is(err, cause) {
		t.Errorf("WaitClosed(open, done ctx) = %v, want the cause", err)
	}
}
