// Package extra lost its client, but not its generated file.
package extra // want `zz_generated_cleanup.go is stale: the package has no //cleanup:client any more; run cleanupgen \(go generate\) to remove it`

// Client is no client any more.
type Client struct{}
