// Package emptied lost its client under go generate, which emptied its
// generated file instead of removing it: nothing is reported.
package emptied

// Client is no client any more.
type Client struct{}
