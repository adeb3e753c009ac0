// Package diag_nearmiss has comments that look like directives and are not.
package diag_nearmiss

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Spaced is not a client: the directive has a space after //.
//
// cleanup:client
type Spaced struct {
	guard runtime.Guard
}

//cleanup:client
type Client struct {
	guard runtime.Guard
	a     io.Closer // cleanup:close
	b     io.Closer //cleanup:Close
	c     io.Closer //cleanup:CLOSE
	d     io.Closer //cleanup: close
	e     io.Closer //Cleanup:close
	f     io.Closer /* cleanup:close */
	//  cleanup:close Shutdown force=Close
	g io.Closer
	// h is closed at cleanup: close it before the pool.
	h io.Closer //cleanup:close
	// cleanup: the pool owns it.
	i io.Closer //cleanup:ignore
}
