// Package multi has several clients, one of which holds another.
package multi

import (
	"context"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Parent holds children clients: closing it closes them.
//
//cleanup:client timeout=10s
type Parent struct {
	guard runtime.Guard
	//cleanup:close
	children []*Child
	//cleanup:close
	named map[string]*Child
	//cleanup:cancel order=3
	stop context.CancelFunc
}

//cleanup:client timeout=2m
type Child struct {
	guard runtime.Guard
	//cleanup:close
	parent *Parent
}

//cleanup:client
type Empty struct {
	guard runtime.Guard
}
