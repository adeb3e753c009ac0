// Package renamedstale has a generated file of another name, from an
// older version of its client.
package renamedstale

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct { // want `cleanup_gen.go is stale: it differs from what cleanupgen writes now for //cleanup:client Client`
	guard runtime.Guard

	r io.Closer //cleanup:close
}
