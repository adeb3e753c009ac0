package pubsub

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// server answers each SUBSCRIBE with one message, then stays silent.
func server(c net.Conn) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			ch := strings.TrimPrefix(strings.TrimSpace(line), "SUBSCRIBE ")
			if _, err := c.Write([]byte("hello " + ch + "\n")); err != nil {
				return
			}
		}
	}()
	return func() {
		_ = c.Close()
		<-done
	}
}

// A Receive is pending when Close begins: Close does not wait for it.
func TestHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := server(b)
		defer stop()
		ps := New(a)
		ctx := context.Background()
		if err := ps.Subscribe(ctx, "news"); err != nil {
			t.Fatal(err)
		}
		msg, err := ps.Receive(ctx)
		if err != nil || msg != "hello news" {
			t.Fatalf("Receive = %q, %v", msg, err)
		}
		received := make(chan error)
		go func() {
			_, err := ps.Receive(ctx)
			received <- err
		}()
		synctest.Wait() // Receive is blocked on the connection
		start := time.Now()
		if err := ps.Close(); err != nil {
			t.Fatalf("Close of a healthy pubsub: %v", err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("Close took %v with a Receive pending", took)
		}
		if err := <-received; err == nil {
			t.Error("the pending Receive returned no error after Close")
		}
		if _, err := ps.Receive(ctx); err == nil {
			t.Error("Receive after Close returned no error")
		}
	})
}

func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := server(b)
		defer stop()
		stuck := hang(a)
		ps := New(stuck)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := ps.CloseContext(ctx)
		if took := time.Since(start); took > time.Second+5*time.Millisecond {
			t.Errorf("CloseContext took %v, more than 5ms past its 1s deadline", took)
		}
		if err == nil || !strings.Contains(err.Error(), "conn") {
			t.Errorf("CloseContext = %v, want an error that names conn", err)
		}
		stuck.Release()
		synctest.Wait()
	})
}
