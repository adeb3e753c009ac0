// Package quickstart tests the README's quick start the way a new user
// follows it: in a fresh module outside the repository, with the README's
// files, the README's commands, and the output the README shows.
//
// The README marks what the test reads with HTML comments, each followed by
// a fenced block:
//
//	<!-- quickstart:file NAME -->       a file of the module, written as it is
//	<!-- quickstart:commands -->        shell commands (go commands only), run one by one
//	<!-- quickstart:excerpt NAME -->    lines of a generated file, in order ("..." skips)
//	<!-- quickstart:output -->          what the program prints on standard output
//
// Files are written and commands run in the README's order, so that the
// Testing section's test file and its go test come after the program ran.
// Durations in the output (1.000432336s) are compared as durations, not as
// values. The module requires github.com/cleanupgen/cleanupgen v0.0.0 and
// replaces it with this repository, standing in for the module proxy; the
// go command runs with GOPROXY=off, so the test needs nothing beyond the
// module cache that go mod download fills.
//
// The package also checks the rest of the README: every Go block parses and
// is gofmt-clean, and the Directives section documents every directive and
// option that cleanupgen -h lists.
package quickstart
