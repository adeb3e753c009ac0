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

// Other is a second client: its finding carries the same fix, which
// drivers apply once.
//
//cleanup:client
type Other struct { // want `zz_generated_cleanup.go is stale: it differs from what cleanupgen writes now for //cleanup:client Other; run cleanupgen`
	guard runtime.Guard

	w io.Closer //cleanup:close
}
