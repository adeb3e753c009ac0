// Package diag_targets puts directives where they do not belong.
package diag_targets

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:close
type Resource struct{}

//cleanup:client
//cleanup:client timeout=1s
type Client struct {
	guard runtime.Guard
	//cleanup:client
	a io.Closer
	//cleanup:close
	//cleanup:nil
	b io.Closer
	//cleanup:wait
	runtime.Guard
}
