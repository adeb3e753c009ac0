// Package directives has directive mistakes: the analyzer reports them as
// cleanupgen does.
package directives

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Client has mistakes on the type and on its fields.
//
// want +2 `//cleanup:client: timeout="forever" is not a duration; write one like timeout=2s`
//
//cleanup:client timeout=forever
type Client struct {
	guard runtime.Guard

	// want +1 `unknown directive //cleanup:shut; known verbs: cancel, client, close, ignore, nil, wait`
	a io.Closer //cleanup:shut
	// want +1 `//cleanup:close: unknown option "deadline"; allowed: timeout=, force=, order=`
	b io.Closer //cleanup:close deadline=1s
	// want +1 `//cleanup:close: order="-1" must be a non-negative integer`
	c io.Closer //cleanup:close order=-1
}

// NoGuard lacks its guard.
//
// want +2 `//cleanup:client type NoGuard has no runtime.Guard field`
//
//cleanup:client
type NoGuard struct {
	r io.Reader //cleanup:ignore
	// want +1 `//cleanup:close cannot serve field d of type io.Closer: io.Closer has no method Shutdown`
	d io.Closer //cleanup:close Shutdown
	// want +1 `//cleanup:cancel cannot serve field e of type io.Closer`
	e io.Closer //cleanup:cancel
}
