// Package generic has generic clients: type parameters are carried to the methods.
package generic

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Pool owns connections of any closable type.
//
//cleanup:client timeout=1500ms
type Pool[E io.Closer] struct {
	guard runtime.Guard
	//cleanup:close
	items []E
	//cleanup:close
	spare E
	//cleanup:close
	byKey map[string]E
	//cleanup:nil
	next *Pool[E]
}

type Number interface{ ~int | ~int64 }

// Cache maps keys to closers.
//
//cleanup:client
type Cache[K comparable, V io.Closer, N Number] struct {
	guard runtime.Guard
	//cleanup:close
	entries map[K]V
	//cleanup:ignore
	hits N
	//cleanup:nil
	last V
	//cleanup:close
	pool *Pool[V]
}
