// Package diag_types puts verbs on field types they cannot serve.
package diag_types

import (
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Item struct{}

func (*Item) Close() error { return nil }

//cleanup:client
type Client struct {
	guard runtime.Guard
	//cleanup:cancel
	a func() error
	//cleanup:wait
	b int
	//cleanup:nil
	c sync.Mutex
	//cleanup:wait
	d chan<- int
	//cleanup:close
	e map[string]Item
	//cleanup:cancel force=Stop
	f func()
	//cleanup:wait
	g []sync.WaitGroup
	//cleanup:close
	h string
}
