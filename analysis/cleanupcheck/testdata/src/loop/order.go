package loop

import (
	"net"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Reader is directed by hand in the default phases: its read loop, which
// done waits for in phase 1, ends only once conn closes in phase 2.
//
//cleanup:client
type Reader struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Reader`
	guard runtime.Guard

	conn net.Conn      //cleanup:close // want `field conn of Reader is closed in phase 2, not before phase 1, in which the client waits for a goroutine that reads from it .*close it first with order=0` `field conn of Reader is read by a goroutine that no //cleanup:wait step waits for, or only a wait on a channel`
	done chan struct{} //cleanup:wait // want `field done of Reader is read by a goroutine`
}

// NewReader starts the read loop.
func NewReader(conn net.Conn) *Reader {
	r := &Reader{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		buf := make([]byte, 64)
		for {
			if _, err := r.conn.Read(buf); err != nil {
				return
			}
		}
	}()
	return r
}
