// Package healthpool is a connection pool in the shape of go-redis's: a
// reaper goroutine checks the idle connections on a ticker until quit is
// closed, and the pool counts it in a WaitGroup.
package healthpool

import (
	"errors"
	"net"
	"sync"
	"time"
)

// ErrPoolExhausted is returned by Get when every connection is in use.
var ErrPoolExhausted = errors.New("healthpool: pool exhausted")

//cleanup:client
type Pool struct {
	dial func() (net.Conn, error)
	size int

	mu   sync.Mutex
	idle []net.Conn
	used int

	ticker *time.Ticker
	quit   chan struct{}
	wg     sync.WaitGroup
}

// New returns a pool of at most size connections made by dial, checked
// every interval.
func New(dial func() (net.Conn, error), size int, interval time.Duration) *Pool {
	p := &Pool{dial: dial, size: size, ticker: time.NewTicker(interval), quit: make(chan struct{})}
	p.wg.Add(1)
	go p.reaper()
	return p
}

// Get returns an idle connection, or a new one.
func (p *Pool) Get() (net.Conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.used++
		p.mu.Unlock()
		return c, nil
	}
	if p.used >= p.size {
		p.mu.Unlock()
		return nil, ErrPoolExhausted
	}
	p.used++
	p.mu.Unlock()
	return p.dial()
}

// Put returns c to the pool.
func (p *Pool) Put(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used--
	p.idle = append(p.idle, c)
}

// Len is the number of idle connections.
func (p *Pool) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

func (p *Pool) reaper() {
	defer p.wg.Done()
	for {
		select {
		case <-p.ticker.C:
			p.reapStale()
		case <-p.quit:
			return
		}
	}
}

// reapStale drops the idle connections that a zero-length write finds
// closed.
func (p *Pool) reapStale() {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.idle[:0]
	for _, c := range p.idle {
		if _, err := c.Write(nil); err != nil {
			_ = c.Close()
			continue
		}
		kept = append(kept, c)
	}
	p.idle = kept
}
