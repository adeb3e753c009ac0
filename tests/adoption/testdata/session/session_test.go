package session

import (
	"context"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// echoFIN plays the peer: it reads frames and answers a stream's data
// frame with a FIN for it.
func echoFIN(c net.Conn) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		hdr := make([]byte, 9)
		for {
			if _, err := io.ReadFull(c, hdr); err != nil {
				return
			}
			if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint32(hdr[5:]))); err != nil {
				return
			}
			if hdr[0] == 0 {
				hdr[0] = 1
				if _, err := c.Write(hdr); err != nil {
					return
				}
			}
		}
	}()
	return func() {
		_ = c.Close()
		<-done
	}
}

func TestHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := echoFIN(b)
		defer stop()
		var closed atomic.Bool
		s := New(a, func() { closed.Store(true) })
		for range 3 {
			if _, err := s.OpenStream(); err != nil {
				t.Fatal(err)
			}
		}
		open, err := s.OpenStream()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		if err := s.Close(); err != nil {
			t.Fatalf("Close of a healthy session: %v", err)
		}
		if !closed.Load() {
			t.Error("onClose did not run")
		}
		if _, err := open.Read(); err != io.EOF {
			t.Errorf("Read of a stream after Close = %v, want io.EOF", err)
		}
	})
}

func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := peer(b)
		defer stop()
		conn := hang(a)
		s := New(conn, func() {})
		if _, err := s.OpenStream(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := s.CloseContext(ctx)
		if took := time.Since(start); took > time.Second+5*time.Millisecond {
			t.Errorf("CloseContext took %v, more than 5ms past its 1s deadline", took)
		}
		if err == nil || !strings.Contains(err.Error(), "conn") {
			t.Errorf("CloseContext = %v, want an error that names conn", err)
		}
		conn.Release()
		synctest.Wait()
	})
}
