// Package diag_realclients has mistakes in the directives of issue 15 and
// in their spelling.
package diag_realclients

import (
	"context"
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Chans struct {
	guard runtime.Guard
	//cleanup:close // a receiver does not own it
	in <-chan int
	//cleanup:close force=Stop
	out chan int
	//cleanup:close
	ins []<-chan int
	//cleanup:close drop=maybe
	c io.Closer
	//+cleanup:close
	d io.Closer
	e io.Closer //+cleanup:close // why
	//cleanup:close Close
	f chan int
}

// Unitless has a timeout without a unit: one diagnostic, not one per field.
//
//cleanup:client timeout=30
type Unitless struct {
	guard runtime.Guard
	//cleanup:close
	a io.Closer
	//cleanup:close
	b io.Closer
	//cleanup:close
	c io.Closer
}

// Cleanup:client
type Capital struct {
	guard runtime.Guard
	//cleanup:close
	a io.Closer
}

// Named declares the method that method= names.
//
//cleanup:client method=shutdown
type Named struct {
	guard runtime.Guard
}

func (n *Named) shutdown(context.Context) error { return nil }

// Field has a field named as method=.
//
//cleanup:client method=Stop
type Field struct {
	guard runtime.Guard
	Stop  int
}
