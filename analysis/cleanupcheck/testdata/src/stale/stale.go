// Package stale has a generated file from another version of its client.
package stale

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct { // want `zz_generated_cleanup.go is stale: it differs from what cleanupgen writes now for //cleanup:client Client; run cleanupgen`
	guard runtime.Guard

	r io.Closer //cleanup:close
}
