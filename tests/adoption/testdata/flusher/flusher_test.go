package flusher

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestHealthy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		got := make(chan string, 1)
		go func() {
			data, _ := io.ReadAll(b)
			got <- string(data)
		}()
		f := New(a, 10*time.Millisecond)
		for _, s := range []string{"a", "b", "c"} {
			if _, err := f.Write([]byte(s)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond) // the timer fires
		if _, err := f.Write([]byte("unflushed")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close of a healthy flusher: %v", err)
		}
		if data := <-got; data != "abc" {
			t.Errorf("the peer read %q, want %q", data, "abc")
		}
		time.Sleep(time.Second) // the stopped timer does not fire
		_ = b.Close()
	})
}

func TestFaulted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := net.Pipe()
		stop := peer(b)
		defer stop()
		stuck := hang(a)
		f := New(stuck, time.Hour)
		if _, err := f.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := f.CloseContext(ctx)
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
