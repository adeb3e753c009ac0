// Package diag_blank has blank fields with directives: they cannot be read.
package diag_blank

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	_     io.Closer //cleanup:close
	_     io.Closer //cleanup:ignore
}

//cleanup:client
type BlankGuard struct {
	_ runtime.Guard
}
