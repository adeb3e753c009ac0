// Package guards uses its client against the contract of the generated
// Close.
package guards

import (
	"context"
	"io"
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Store keeps connections by name.
//
//cleanup:client
type Store struct {
	guard runtime.Guard
	mu    sync.Mutex

	conns   map[string]net.Conn //cleanup:close
	pending []io.Closer         //cleanup:close
	last    io.Closer           //cleanup:close lock=mu
	log     io.Writer           //cleanup:ignore
	n       int
}

// Fail closes the store from inside a call: Close waits for this call.
func (s *Store) Fail() error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	s.Close() // want `Store.Close called between s.guard.Enter\(\) and Leave\(\): it waits for the calls in flight to leave, this one among them.*\(go s.Close\(\)\)`
	return nil
}

// FailReturn returns Close's result: no fix, but the same finding.
func (s *Store) FailReturn(ctx context.Context) error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	return s.CloseContext(ctx) // want `Store.CloseContext called between`
}

// FailDeferred defers Close after the deferred Leave: it runs first.
func (s *Store) FailDeferred() error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	defer s.Close() // want `Store.Close called between`
	return nil
}

// Quit closes after Leave, and in a goroutine: both fine.
func (s *Store) Quit() {
	if s.guard.Enter() != nil {
		return
	}
	go s.Close()
	s.guard.Leave()
	s.Close()
}

// Add writes the map under the mutex, but conns has no lock=.
func (s *Store) Add(name string, c net.Conn) error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[name] = c      // want `field conns of Store is written between s.guard.Enter\(\) and Leave\(\) and its //cleanup:close has no lock=: .*add lock=mu, the mutex held here`
	delete(s.conns, "old") // want `field conns of Store is written`
	s.last = c             // lock= already: fine
	s.n++                  // not managed: fine
	return nil
}

// Push appends without any lock.
func (s *Store) Push(c io.Closer) error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	s.pending = append(s.pending, c) // want `field pending of Store is written between s.guard.Enter\(\) and Leave\(\) and its //cleanup:close has no lock=: .*write it under a sync.Mutex field of Store and name that field with lock=`
	s.guard.Leave()
	s.pending = nil // after Leave: fine
	return nil
}

// Get uses a managed field without the guard.
func (s *Store) Get(name string) (net.Conn, bool, error) { // want `exported method Store.Get uses the managed field conns without s.guard.Enter\(\): a call racing Close uses what the teardown closes and drops`
	c, ok := s.conns[name]
	return c, ok, nil
}

// Count has no error to return.
func (s *Store) Count() int { // want `exported method Store.Count uses the managed field pending`
	return len(s.pending)
}

// Reset returns nothing.
func (s *Store) Reset() { // want `exported method Store.Reset uses the managed field last`
	s.last = nil
}

// Logger uses only an ignored field: fine.
func (s *Store) Logger() io.Writer { return s.log }

// size is unexported: the exported methods that call it hold the guard.
func (s *Store) size() int { return len(s.conns) }
