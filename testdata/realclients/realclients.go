// Package realclients has clients in the shapes of real ones: a channel the
// client owns closed by the close(done) idiom, fields its own goroutines read
// after Close (drop=false), a *time.Timer whose Stop returns a bool, a Close
// method that returns nothing, and a type whose own Close() has no result
// (method=). Its directives carry reasons after //.
package realclients

import (
	"context"
	"sync"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Loop is a client with a read loop: the loop reads conn and events after
// Close has cancelled it, so neither is dropped.
//
//cleanup:client timeout=2s // the loop stops within a second
type Loop struct {
	guard runtime.Guard

	cancel context.CancelFunc //cleanup:cancel
	//cleanup:wait // the read loop
	wg sync.WaitGroup
	//cleanup:close drop=false // the read loop still reads it
	conn *Conn
	//cleanup:close order=3 drop=false
	events chan<- string
	done   chan struct{} //cleanup:close // close(done) tells the pollers
	//cleanup:close
	subs []chan int
	//cleanup:close
	byTopic map[string]chan<- int
	//cleanup:close Stop // Stop's bool says nothing about a failure
	timer *time.Timer
	//cleanup:close Release
	lease *Lease
	//cleanup:nil drop=false
	logger *Logger
	//cleanup:ignore // the pool owns it
	pool *Conn
	//cleanup:nil lock=mu drop=false
	peers map[string]*Conn
	mu    sync.Mutex //cleanup:ignore
}

// Conn is a connection whose Close returns an error.
type Conn struct {
	mu     sync.Mutex
	closed int
}

func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed++
	return nil
}

// Closed reports how many times Close was called.
func (c *Conn) Closed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Lease is released by a method that returns nothing.
type Lease struct{ released chan struct{} }

func (l *Lease) Release() { close(l.released) }

// Logger is not a resource.
type Logger struct{}

// Pool has a Close with no result, as pgxpool's and nats.go's have: the
// generated shutdown does the work, and Close calls it.
//
//cleanup:client method=shutdown timeout=1s
type Pool struct {
	guard runtime.Guard
	//cleanup:close
	conns []*Conn
	//cleanup:close // closed last
	closeChan chan struct{}
}

// Close closes the pool. It returns nothing, as the libraries' does.
func (p *Pool) Close() { _ = p.shutdown(context.Background()) }

// Owner holds a Pool: its step calls the generated shutdown, not Close.
//
//cleanup:client method=Shutdown
type Owner struct {
	guard runtime.Guard
	//cleanup:close
	pool *Pool
}
