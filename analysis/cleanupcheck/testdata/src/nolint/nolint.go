// Package nolint silences findings the golangci-lint way.
package nolint

import (
	"io"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Client has resources whose findings are silenced, one by one.
//
//cleanup:client
type Client struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Client`
	guard runtime.Guard

	a io.Closer //nolint:cleanupcheck // closed by its owner
	//nolint:errcheck,cleanupcheck
	b io.Closer
	c io.Closer //nolint
	d io.Closer //nolint:all
	e io.Closer //cleanup:ignore
	f io.Closer //nolint:errcheck // want `field f of Client holds a resource`
	g io.Closer // nolint:cleanupcheck // want `field g of Client holds a resource`

	wg sync.WaitGroup //cleanup:wait
}

// Quiet is silenced as a whole.
//
//cleanup:client
//nolint:cleanupcheck
type Quiet struct {
	guard runtime.Guard

	r io.Closer
	w io.Closer //cleanup:close
}

// Peek is silenced where it is declared.
//
//nolint:cleanupcheck // a read that may race Close on purpose
func (q *Quiet) Peek() io.Closer { return q.w }

// Look is not.
func (q *Quiet) Look() io.Closer { return q.w } // want `exported method Quiet.Look uses the managed field w`
