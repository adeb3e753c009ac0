// Package connpool is a pool in the shape of pgxpool's and nats.go's: its
// Close returns nothing (callers write t.Cleanup(p.Close)), and it ends a
// background health check by closing closeChan.
package connpool

import (
	"net"
	"sync"
	"time"
)

//cleanup:client
type Pool struct {
	mu    sync.Mutex
	conns []net.Conn

	closeChan chan struct{}
	wg        sync.WaitGroup
}

// New returns a pool that holds conns and checks them every interval.
func New(conns []net.Conn, interval time.Duration) *Pool {
	p := &Pool{conns: conns, closeChan: make(chan struct{})}
	p.wg.Add(1)
	go p.backgroundHealthCheck(interval)
	return p
}

// Acquire takes a connection out of the pool; ok is false when none is left.
func (p *Pool) Acquire() (c net.Conn, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.conns) == 0 {
		return nil, false
	}
	c = p.conns[len(p.conns)-1]
	p.conns = p.conns[:len(p.conns)-1]
	return c, true
}

// Release returns c to the pool.
func (p *Pool) Release(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.conns = append(p.conns, c)
}

// Close closes the pool and its connections, and waits for the health
// check to end.
func (p *Pool) Close() {
	close(p.closeChan)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}

func (p *Pool) backgroundHealthCheck(interval time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-p.closeChan:
			return
		case <-t.C:
			p.checkHealth()
		}
	}
}

func (p *Pool) checkHealth() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.SetDeadline(time.Time{})
	}
}
