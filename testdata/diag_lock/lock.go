// Package diag_lock has lock= options that name no lock.
package diag_lock

import (
	"io"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	mu    sync.Mutex
	n     int
	pmu   *sync.Mutex    //cleanup:nil
	wg    sync.WaitGroup //cleanup:ignore

	a io.Closer //cleanup:close lock=missing
	b io.Closer //cleanup:close lock=n
	c io.Closer //cleanup:close lock=c
	d io.Closer //cleanup:close lock=wg
	e io.Closer //cleanup:close lock=pmu
	f io.Closer //cleanup:close lock=mu
}
