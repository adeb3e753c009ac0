// Package diag_handwritten has a client and a hand-written file in the
// generated file's place, which cleanupgen must not overwrite.
package diag_handwritten

import "github.com/cleanupgen/cleanupgen/runtime"

//cleanup:client
type Client struct {
	guard runtime.Guard
}
