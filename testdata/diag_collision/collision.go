// Package diag_collision declares names that cleanupgen would generate.
package diag_collision

import "github.com/cleanupgen/cleanupgen/runtime"

//cleanup:client
type Client struct {
	guard runtime.Guard
}

type cleanupClientRefs struct{}

//cleanup:client
type Pool struct {
	guard runtime.Guard
}

func cleanupPool() {}

// PoolRefs's plan would be cleanupPoolRefs, the refs struct of Pool.
//
//cleanup:client
type PoolRefs struct {
	guard runtime.Guard
}
