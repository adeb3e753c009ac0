// Package collision declares names that cleanupgen would generate: it picks
// free ones instead.
package collision

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

// Server's plan would be cleanupServer, declared in collision_test.go.
//
//cleanup:client
type Server struct {
	guard runtime.Guard
}
