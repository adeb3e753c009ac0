// Package output is generated with cleanupgen -output cleanup_gen.go: its
// generated file is recognised by its header, not its name.
package output

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard

	r io.Closer //cleanup:close
}
