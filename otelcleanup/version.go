package otelcleanup

// version is the release of this module, kept in step with its tags by
// the release steps in RELEASING.md (a test checks that it matches the
// version of the main module that go.mod requires, which is released
// with it). A constant rather than runtime/debug.ReadBuildInfo: the
// build info knows a dependency's version, but not the main module's
// (it reads "(devel)" in this module's own tests and in a binary built
// from a work tree).
const version = "0.1.0"

// Version returns the version of this module, as the instrumentation
// scope carries it: "0.1.0" for the release tagged otelcleanup/v0.1.0.
func Version() string { return version }
