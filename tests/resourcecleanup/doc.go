// Package resourcecleanup holds the stress, fault and end-to-end tests of
// cleanupgen: client types declared with //cleanup: directives, whose Close
// and CloseContext methods cleanupgen generates into zz_generated_cleanup.go,
// and fake resources whose teardown can hang, panic, fail, ignore its context,
// be slow, or need to be forced.
//
// The non-test files are the inputs of the generator, so that the checked-in
// generated file is exercised by `cleanupgen -check ./...` like any user's.
//
//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen
package resourcecleanup
