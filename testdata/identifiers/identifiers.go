// Package identifiers declares names that the generated code could collide
// with: type parameters named after the generated receiver, locals and
// imports, a package-level func new, a constraint that reads as an array
// length, and a channel of receive-only channels.
package identifiers

import (
	"io"

	rt "github.com/cleanupgen/cleanupgen/runtime"
)

func new() {}

// Params's type parameters shadow the imports and locals of generated code.
//
//cleanup:client
type Params[x io.Closer, context io.Closer, time any, runtime any, r io.Closer, e io.Closer] struct {
	guard rt.Guard
	a     x            //cleanup:close
	b     context      //cleanup:close
	c     []r          //cleanup:close
	m     map[string]e //cleanup:close
	t     time         //cleanup:ignore
	u     runtime      //cleanup:nil
	stop  func()       //cleanup:cancel
}

// Ptr's constraint reads as an array length unless it ends with a comma.
//
//cleanup:client
type Ptr[P *int,] struct {
	guard rt.Guard
	p     P //cleanup:nil
}

// Chans waits for a channel of receive-only channels.
//
//cleanup:client
type Chans struct {
	guard rt.Guard
	ch    chan (<-chan int) //cleanup:wait
	out   chan<- <-chan int //cleanup:nil
}
