package producer

import (
	"context"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := peer(b)
		defer stop()
		p := New(a)
		successes := p.Successes()
		for _, v := range []string{"a", "b", "c"} {
			p.Input() <- &Message{Value: []byte(v)}
			if m := <-successes; string(m.Value) != v {
				t.Fatalf("Successes gave %q, want %q", m.Value, v)
			}
		}
		if err := p.Close(); err != nil {
			t.Fatalf("Close of a healthy producer: %v", err)
		}
		// After Close the channels are closed: ranging over them ends.
		for range p.Successes() {
			t.Error("a success after Close")
		}
		for range p.Errors() {
			t.Error("an error after Close")
		}
	})
}

// The broker reads nothing: the dispatcher is stuck writing a message.
func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		defer b.Close()
		p := New(a)
		successes, errs := p.Successes(), p.Errors()
		p.Input() <- &Message{Value: []byte("stuck")}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := p.CloseContext(ctx)
		if took := time.Since(start); took > time.Second+5*time.Millisecond {
			t.Errorf("CloseContext took %v, more than 5ms past its 1s deadline", took)
		}
		if err == nil || !strings.Contains(err.Error(), "wg") {
			t.Errorf("CloseContext = %v, want an error that names wg", err)
		}
		// The broker goes away: the write fails, and its error is
		// delivered on the channel taken before Close, which the
		// dispatcher closes once Input, closed by Close, is drained.
		_ = b.Close()
		for range errs {
		}
		for range successes {
		}
		synctest.Wait()
	})
}
