// Package diag_method names methods that do not exist or cannot be called.
package diag_method

import (
	"context"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Conn struct{ Shutdown int }

func (*Conn) Stop(ctx context.Context, force bool) error { return nil }
func (*Conn) Drain() (int, error)                        { return 0, nil }
func (*Conn) Close(...int) error                         { return nil }

//cleanup:client
type Client struct {
	guard runtime.Guard
	//cleanup:close Halt
	a *Conn
	//cleanup:close Stop
	b *Conn
	//cleanup:close Drain
	c *Conn
	//cleanup:close
	d *Conn
	//cleanup:close Shutdown
	e *Conn
	//cleanup:close Stop force=Kill
	f *Conn
	//cleanup:close
	g []*Conn
	//cleanup:close Stop force=Drain
	h *Conn
}
