// Package diag_close_declared has clients that already declare the generated methods.
package diag_close_declared

import (
	"context"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
}

func (c *Client) Close() error { return nil }

//cleanup:client
type Other struct {
	guard runtime.Guard
}

func (o Other) CloseContext(context.Context) error { return nil }

//cleanup:client
type Field struct {
	guard runtime.Guard
	Close func()
}
