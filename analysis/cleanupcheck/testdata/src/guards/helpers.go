package guards

import (
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Replace holds the guard and the mutex, and writes through a helper.
func (s *Store) Replace(name string, c net.Conn) error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(name, c)
	return nil
}

func (s *Store) put(name string, c net.Conn) {
	s.conns[name] = c // want `field conns of Store is written by put, called between s.guard.Enter\(\) and Leave\(\), and its //cleanup:close has no lock=: .*add lock=mu, the mutex held here`
}

// Registry writes its map under an embedded RWMutex.
//
//cleanup:client
type Registry struct {
	guard runtime.Guard
	sync.RWMutex

	byName map[string]net.Conn //cleanup:close
}

// Add keeps c under name.
func (r *Registry) Add(name string, c net.Conn) error {
	if err := r.guard.Enter(); err != nil {
		return err
	}
	defer r.guard.Leave()
	r.Lock()
	defer r.Unlock()
	r.byName[name] = c // want `field byName of Registry is written between r.guard.Enter\(\) and Leave\(\) and its //cleanup:close has no lock=: .*add lock=RWMutex, the mutex held here`
	return nil
}
