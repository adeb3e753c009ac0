package connpool

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
		var conns []net.Conn
		for range 3 {
			a, b := net.Pipe()
			stop := peer(b)
			defer stop()
			conns = append(conns, a)
		}
		p := New(conns, 10*time.Millisecond)
		c, ok := p.Acquire()
		if !ok {
			t.Fatal("Acquire found no connection")
		}
		time.Sleep(30 * time.Millisecond)
		p.Release(c)
		// Close still returns nothing, as callers expect (t.Cleanup(p.Close)
		// compiles); the generated method says what happened.
		var _ func() = p.Close
		if err := p.closeContext(context.Background()); err != nil {
			t.Fatalf("close of a healthy pool: %v", err)
		}
		p.Close() // a second close does not tear down again
	})
}

func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := peer(b)
		defer stop()
		stuck := hang(a)
		p := New([]net.Conn{stuck}, time.Hour)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := p.closeContext(ctx)
		if took := time.Since(start); took > time.Second+5*time.Millisecond {
			t.Errorf("close took %v, more than 5ms past its 1s deadline", took)
		}
		if err == nil || !strings.Contains(err.Error(), "conns") {
			t.Errorf("close = %v, want an error that names conns", err)
		}
		stuck.Release()
		synctest.Wait()
	})
}
