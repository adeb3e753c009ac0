// Package resources has a client whose resource fields lack directives.
package resources

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type conn struct{}

func (*conn) Close() error { return nil }

type server struct{}

func (*server) Shutdown(context.Context) error { return nil }
func (*server) Close() error                   { return nil }

type service struct{}

func (service) Shutdown(context.Context) {}

type worker struct{}

func (*worker) Stop() {}

// odd has a Close that cleanupgen cannot call: not a resource it can serve.
type odd struct{}

func (odd) Close(int) {}

// Client holds every kind of resource.
//
//cleanup:client
type Client struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Client; run cleanupgen`
	guard runtime.Guard

	// want +1 `field closer of Client holds a resource \(io.Closer has a Close method\) that no //cleanup: directive tears down; add //cleanup:close, or //cleanup:ignore if Client does not own it`
	closer io.Closer
	// want +1 `field value of Client holds a resource \(conn has a Close method\)`
	value conn
	// want +1 `field srv of Client holds a resource \(\*server has Shutdown and Close methods\) .*add //cleanup:close Shutdown force=Close`
	srv *server
	// want +1 `field svc of Client .*add //cleanup:close Shutdown,`
	svc service
	// want +1 `field w of Client .*add //cleanup:close Stop,`
	w *worker
	// want +1 `field cancel of Client holds a resource \(context.CancelFunc\) .*add //cleanup:cancel,`
	cancel context.CancelFunc
	// want +1 `field ticker of Client .*\(\*time.Ticker\).*add //cleanup:close Stop,`
	ticker *time.Ticker
	// want +1 `field tick of Client .*\(time.Ticker\).*add //cleanup:close Stop,`
	tick time.Ticker
	// want +1 `field wg of Client .*\(sync.WaitGroup\).*add //cleanup:wait,`
	wg sync.WaitGroup
	// want +1 `field pwg of Client .*add //cleanup:wait,`
	pwg *sync.WaitGroup
	// want +1 `field done of Client holds a resource \(a channel the package makes and closes\).*add //cleanup:close order=0 \(order=0: closing it tells`
	done chan struct{}
	// want +1 `field conns of Client .*\(elements with a Close method\).*add //cleanup:close,`
	conns []*conn
	// want +1 `field byName of Client .*\(values with a Close method\)`
	byName map[string]*conn
	// want +1 `field sub of Client .*\(\*Sub has a Close method\)`
	sub *Sub
	// want +1 `field a of Client` `field b of Client`
	a, b *conn
	// want +1 `field noted of Client`
	noted *conn // the connection that is noted

	// Not resources, or torn down already.
	name     string
	odd      odd
	events   chan int // made by somebody else
	results  chan int // made here, closed by nobody: waiting for it would last the deadline
	values   map[string]conn
	ctx      context.Context
	sink     io.Writer
	closed   *conn         //cleanup:close
	borrowed io.Closer     //cleanup:ignore
	kept     chan struct{} //cleanup:nil
}

// Sub is a client too: it gets a generated Close.
//
//cleanup:client
type Sub struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Sub`
	g runtime.Guard
}

// New makes the channels of the client.
func New() *Client {
	c := &Client{done: make(chan struct{})}
	c.results = make(chan int, 1)
	return c
}

// stop ends the client's loop.
func (c *Client) stop() { close(c.done) }

// notAClient has resources but no //cleanup:client: nothing to report.
type notAClient struct {
	c   *conn
	tck *time.Ticker
}
