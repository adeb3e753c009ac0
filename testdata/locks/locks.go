// Package locks has fields read and dropped under their lock= locks.
package locks

import (
	"context"
	"io"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	mu    sync.Mutex    //cleanup:ignore
	rw    *sync.RWMutex //cleanup:ignore

	conn   io.Closer            //cleanup:close lock=mu
	byName map[string]io.Closer //cleanup:close lock=mu
	cancel context.CancelFunc   //cleanup:cancel lock=rw
	items  []io.Closer          //cleanup:close lock=rw
	cache  map[string][]byte    //cleanup:nil lock=mu
	free   io.Closer            //cleanup:close
	done   chan struct{}        //cleanup:wait lock=rw
}

// Embedded locks with its embedded mutex.
//
//cleanup:client
type Embedded struct {
	sync.Mutex
	runtime.Guard
	conn io.Closer //cleanup:close lock=Mutex
}
