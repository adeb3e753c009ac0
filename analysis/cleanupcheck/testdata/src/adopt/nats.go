package adopt

import (
	"bufio"
	"net"
	"sync"
)

// Nats writes through a buffered writer over its connection, which a
// flusher goroutine flushes under the lock.
//
// want +2 `//cleanup:client type Nats has no runtime.Guard field`
//
//cleanup:client
type Nats struct {
	mu sync.Mutex
	// want +1 `field conn of Nats holds a resource \(net.Conn has a Close method\) .*add //cleanup:close,`
	conn net.Conn
	// want +1 `field bw of Nats holds a resource \(\*bufio.Writer over the field conn, which Nats closes: a Flush step would run beside that close or after it; flush in the methods that write\) .*add //cleanup:nil,`
	bw *bufio.Writer
}

// Dial connects.
func Dial(addr string) (*Nats, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Nats{conn: conn, bw: bufio.NewWriter(conn)}, nil
}
