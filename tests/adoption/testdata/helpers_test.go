package helpers

import (
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// Every test of the adopted client leaves no goroutine behind.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	goleak.VerifyTestMain(m)
}

// hangingConn is a connection whose Close hangs until release is called:
// a peer that never acknowledges, a kernel buffer that never drains.
type hangingConn struct {
	net.Conn
	release chan struct{}
	once    sync.Once
}

func hang(c net.Conn) *hangingConn { return &hangingConn{Conn: c, release: make(chan struct{})} }

func (c *hangingConn) Close() error {
	<-c.release
	return c.Conn.Close()
}

// Release lets Close return, and closes the connection under it.
func (c *hangingConn) Release() {
	c.once.Do(func() { close(c.release) })
}

// peer reads and discards what the far end of a pipe receives until it is
// closed; the returned func closes the far end and waits for the reader.
func peer(c net.Conn) func() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, c)
	}()
	return func() {
		_ = c.Close()
		<-done
	}
}
