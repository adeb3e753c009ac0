// Package extra lost its client, but not its generated file.
package extra

// Client is no client any more.
type Client struct{}
