// Package adopt has clients marked //cleanup:client alone, in the shapes of
// real libraries: one cleanupcheck -fix run directs them completely.
package adopt

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
)

// stream is one stream of a Session: its graceful Close writes to the
// connection, its forceClose does not.
type stream struct {
	sess *Session
	id   uint32
}

func (st *stream) Close() error {
	_, err := st.sess.conn.Write([]byte{byte(st.id)})
	return err
}

func (st *stream) forceClose() {}

// Session multiplexes streams over one connection. A read loop that done
// waits for reads the connection; a keepalive that nothing waits for
// writes to it.
//
// want +2 `//cleanup:client type Session has no runtime.Guard field`
//
//cleanup:client
type Session struct {
	mu sync.Mutex

	// want +1 `field conn of Session holds a resource \(net.Conn has a Close method\) .*add //cleanup:close order=0 drop=false \(order=0: a goroutine that a wait step waits for reads from it, and ends only once it is closed; drop=false: a goroutine that no wait step waits for, or only a wait on a channel, .*\)`
	conn net.Conn
	// want +1 `field streams of Session holds a resource \(values with a forceClose method\) .*add //cleanup:close forceClose lock=mu drop=false \(lock=mu: the package writes it holding mu; drop=false`
	streams map[uint32]*stream
	// want +1 `field done of Session holds a resource \(a channel that a goroutine of the package closes when it ends\) .*add //cleanup:wait drop=false`
	done chan struct{}
	// want +1 `field onClose of Session holds a resource \(a func\(\) named as a teardown\) .*add //cleanup:cancel,`
	onClose func()
	// want +1 `field die of Session holds a resource \(a channel that a goroutine of the package receives from and none sends on: closing it is what ends that goroutine\) .*add //cleanup:close order=0 drop=false`
	die chan struct{}
}

// NewSession starts the session's goroutines on conn.
func NewSession(conn net.Conn, onClose func()) *Session {
	s := &Session{conn: conn, streams: map[uint32]*stream{}, done: make(chan struct{}), die: make(chan struct{}), onClose: onClose}
	go s.recvLoop()
	go s.keepalive()
	return s
}

func (s *Session) recvLoop() {
	defer close(s.done)
	buf := make([]byte, 4)
	for {
		if _, err := io.ReadFull(s.conn, buf); err != nil {
			return
		}
		s.remove(uint32(buf[0]))
	}
}

func (s *Session) keepalive() {
	for {
		select {
		case <-s.die:
			return
		default:
		}
		if _, err := s.conn.Write(nil); err != nil {
			return
		}
	}
}

// remove is a helper: it writes streams under the lock its caller holds.
func (s *Session) remove(id uint32) {
	s.mu.Lock()
	s.removeLocked(id)
	s.mu.Unlock()
}

func (s *Session) removeLocked(id uint32) { delete(s.streams, id) }

// Open opens a stream.
func (s *Session) Open(id uint32) *stream { // want `exported method Session.Open uses the managed field streams without s.guard.Enter\(\)`
	st := &stream{sess: s, id: id}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams[id] = st
	return st
}

// Registry keeps sessions under an embedded RWMutex, and an HTTP client.
//
// want +2 `//cleanup:client type Registry has no runtime.Guard field`
//
//cleanup:client
type Registry struct {
	sync.RWMutex

	// want +1 `field byName of Registry holds a resource \(values with a Close method\) .*add //cleanup:close lock=RWMutex \(lock=RWMutex: the package writes it holding RWMutex\),`
	byName map[string]*Session
	// want +1 `field http of Registry holds a resource \(\*http.Client has a CloseIdleConnections method\) .*add //cleanup:close CloseIdleConnections,`
	http *http.Client
	// want +1 `field q of Registry holds a resource \(\*queue has a close method\) .*add //cleanup:close close,`
	q *queue
}

type queue struct{}

func (*queue) close() {}

// Add keeps s under name.
func (r *Registry) Add(name string, s *Session) { // want `exported method Registry.Add uses the managed field byName`
	r.Lock()
	r.byName[name] = s
	r.Unlock()
}

// Lookup uses the HTTP client; it takes a context.
func (r *Registry) Lookup(ctx context.Context, url string) (*http.Response, error) { // want `exported method Registry.Lookup uses the managed field http`
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return r.http.Do(req)
}
