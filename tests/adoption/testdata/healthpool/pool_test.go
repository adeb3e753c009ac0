package healthpool

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
		var peers []func()
		defer func() {
			for _, stop := range peers {
				stop()
			}
		}()
		p := New(func() (net.Conn, error) {
			a, b := net.Pipe()
			peers = append(peers, peer(b))
			return a, nil
		}, 4, 10*time.Millisecond)
		var conns []net.Conn
		for range 3 {
			c, err := p.Get()
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			p.Put(c)
		}
		time.Sleep(50 * time.Millisecond) // the reaper runs
		if n := p.Len(); n != 3 {
			t.Fatalf("Len = %d, want 3", n)
		}
		start := time.Now()
		if err := p.Close(); err != nil {
			t.Fatalf("Close of a healthy pool: %v", err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Errorf("Close of a healthy pool took %v", took)
		}
	})
}

func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := peer(b)
		defer stop()
		stuck := hang(a)
		p := New(func() (net.Conn, error) { return stuck, nil }, 1, time.Hour)
		c, err := p.Get()
		if err != nil {
			t.Fatal(err)
		}
		p.Put(c)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err = p.CloseContext(ctx)
		if took := time.Since(start); took > time.Second+5*time.Millisecond {
			t.Errorf("CloseContext took %v, more than 5ms past its 1s deadline", took)
		}
		if err == nil || !strings.Contains(err.Error(), "idle") {
			t.Errorf("CloseContext = %v, want an error that names idle", err)
		}
		stuck.Release()
		synctest.Wait()
	})
}
