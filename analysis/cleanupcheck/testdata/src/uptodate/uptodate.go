// Package uptodate is a client whose generated file (written by the test
// with cleanupgen) is current, and whose resources all have directives.
package uptodate

import (
	"context"
	"io"
	"sync"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client timeout=2s
type Client struct {
	guard runtime.Guard

	r      io.Closer          //cleanup:close
	cancel context.CancelFunc //cleanup:cancel
	wg     sync.WaitGroup     //cleanup:wait
	ticker *time.Ticker       //cleanup:close Stop
	done   chan struct{}      //cleanup:wait
	name   string
}

// New makes the client's channel.
func New() *Client { return &Client{done: make(chan struct{})} }
