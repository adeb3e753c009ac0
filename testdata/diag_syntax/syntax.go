// Package diag_syntax has malformed directives.
package diag_syntax

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client timeout=soon
type Client struct {
	guard runtime.Guard
	//cleanup:shut
	a io.Closer
	//cleanup:close retries=3
	b io.Closer
	//cleanup:close timeout=-1s
	c io.Closer
	//cleanup:cancel now
	d func()
	//cleanup:close order=first
	e io.Closer
	//cleanup:close timeout=1s timeout=2s
	f io.Closer
	//cleanup:nil timeout=1s
	g io.Closer
	//cleanup:close "unterminated
	h io.Closer
	//cleanup:close Close Shutdown
	i io.Closer
}
