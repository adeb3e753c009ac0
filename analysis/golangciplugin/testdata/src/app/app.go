// Package app is a client as a user writes it before golangci-lint --fix:
// a resource without a directive, a method that does not enter the guard,
// and no generated file yet.
package app

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct { // want `zz_generated_cleanup.go is missing for //cleanup:client Client; run cleanupgen \(go generate\)`
	guard runtime.Guard

	r io.Closer      // want `field r of Client holds a resource \(io.Closer has a Close method\)`
	w io.WriteCloser //cleanup:close
}

// Write writes to w without entering the guard.
func (c *Client) Write(p []byte) (int, error) { // want `exported method Client.Write uses the managed field w without c.guard.Enter\(\)`
	return c.w.Write(p)
}
