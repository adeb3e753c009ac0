// Package gone lost its client but not its generated file: the finding is
// here, not in the generated file, which golangci-lint ignores.
package gone // want `zz_generated_cleanup.go is stale: the package has no //cleanup:client any more`

// Client is no client any more.
type Client struct{}
