//go:build cleanupgen_never

package buildtags

// Excluded has a bad directive that the default build never sees.
//
//cleanup:client timeout=never
type Excluded struct{}
