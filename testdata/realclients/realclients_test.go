package realclients

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newLoop starts a Loop whose reader goroutine, which no wait step waits
// for, reads conn and sends on events until it is cancelled, and keeps
// reading conn for a while after: drop=false keeps both from being cleared
// under it (run with -race).
func newLoop(t *testing.T) (*Loop, <-chan string, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan string, 1)
	l := &Loop{
		cancel:  cancel,
		conn:    &Conn{},
		events:  events,
		done:    make(chan struct{}),
		subs:    []chan int{make(chan int), nil, make(chan int)},
		byTopic: map[string]chan<- int{"a": make(chan int)},
		timer:   time.NewTimer(time.Hour),
		lease:   &Lease{released: make(chan struct{})},
		logger:  &Logger{},
		pool:    &Conn{},
		peers:   map[string]*Conn{"p": {}},
	}
	var reader sync.WaitGroup
	reader.Add(1)
	go func() {
		defer reader.Done()
		<-ctx.Done()
		for range 100 {
			_ = l.conn.Closed()
			_ = l.logger
			time.Sleep(100 * time.Microsecond)
		}
	}()
	return l, events, reader.Wait
}

func TestLoopClose(t *testing.T) {
	l, events, waitReader := newLoop(t)
	done, subs, topic, lease, timer := l.done, l.subs, l.byTopic["a"], l.lease, l.timer
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitReader()

	closed := func(name string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		default:
			t.Errorf("%s was not closed", name)
		}
	}
	closed("done", done)
	closed("lease (Release)", lease.released)
	for i, ch := range subs {
		if ch == nil {
			continue
		}
		if _, ok := <-ch; ok {
			t.Errorf("subs[%d] was not closed", i)
		}
	}
	if _, ok := <-events; ok {
		t.Error("events was not closed")
	}
	_ = topic // a chan<- int: closing it is all a receiver could see, and none can
	if timer.Stop() {
		t.Error("the timer was not stopped")
	}

	// drop=false: the fields the reader reads are kept.
	if l.conn == nil || l.conn.Closed() != 1 {
		t.Errorf("conn = %v, want kept and closed once", l.conn)
	}
	if l.events == nil || l.logger == nil || l.peers == nil {
		t.Errorf("events, logger and peers (drop=false) were dropped")
	}
	// The others are dropped; ignore is never touched.
	if l.done != nil || l.subs != nil || l.byTopic != nil || l.timer != nil || l.lease != nil || l.cancel != nil {
		t.Error("a field without drop=false was not dropped")
	}
	if l.pool == nil || l.pool.Closed() != 0 {
		t.Error("the //cleanup:ignore field was touched")
	}
}

// A channel closed by an earlier Close is not closed again: the teardown
// runs once.
func TestLoopCloseTwice(t *testing.T) {
	l, _, waitReader := newLoop(t)
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	waitReader()
}

func TestMethodOption(t *testing.T) {
	conns := []*Conn{{}, {}}
	p := &Pool{conns: conns, closeChan: make(chan struct{})}
	closeChan := p.closeChan
	o := &Owner{pool: p}
	if err := o.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for i, c := range conns {
		if c.Closed() != 1 {
			t.Errorf("conns[%d] closed %d times, want 1", i, c.Closed())
		}
	}
	if _, ok := <-closeChan; ok {
		t.Error("closeChan was not closed")
	}
	// The type's own Close, which returns nothing, calls the generated
	// shutdown: the teardown has run, so it does nothing more.
	p.Close()
	if conns[0].Closed() != 1 {
		t.Errorf("Close after shutdown closed conns[0] again")
	}
	if err := p.shutdown(context.Background()); err != nil {
		t.Errorf("shutdown again: %v", err)
	}
}

func TestMethodOptionClose(t *testing.T) {
	c := &Conn{}
	p := &Pool{conns: []*Conn{c}}
	p.Close() // t.Cleanup(p.Close) compiles: Close has no result
	if c.Closed() != 1 {
		t.Errorf("Close closed conns[0] %d times, want 1", c.Closed())
	}
}
