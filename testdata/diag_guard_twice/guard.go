// Package diag_guard_twice has a client with two guards.
package diag_guard_twice

import "github.com/cleanupgen/cleanupgen/runtime"

//cleanup:client
type Client struct {
	runtime.Guard
	other runtime.Guard
}
