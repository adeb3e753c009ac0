// Package flusher buffers writes and flushes them on a timer, in the shape
// of a Kafka writer's batch timeout: the first write of a batch arms a
// *time.Timer whose func writes the batch to the connection.
package flusher

import (
	"net"
	"sync"
	"time"
)

//cleanup:client
type Flusher struct {
	conn  net.Conn
	delay time.Duration

	mu    sync.Mutex
	buf   []byte
	timer *time.Timer
}

// New returns a flusher that writes to conn delay after the first
// unflushed write.
func New(conn net.Conn, delay time.Duration) *Flusher {
	return &Flusher{conn: conn, delay: delay}
}

// Write buffers p.
func (f *Flusher) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	if f.timer == nil {
		f.timer = time.AfterFunc(f.delay, f.flush)
	}
	return len(p), nil
}

func (f *Flusher) flush() {
	f.mu.Lock()
	data := f.buf
	f.buf = nil
	f.timer = nil
	f.mu.Unlock()
	_, _ = f.conn.Write(data)
}
