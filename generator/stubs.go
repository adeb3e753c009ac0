package generator

// Stubs returns what cleanupgen type-checks a package with in place of its
// generated files, by path: for the Go files of one package named pkg (an
// external test package when xtest), a file that declares, with empty
// bodies, the methods cleanupgen generates for each //cleanup:client struct
// (Close and CloseContext, or the method= one), where the generated file
// goes. A generated file that no client needs any more stands in empty. Code
// that calls the generated methods type-checks with them before the first
// generation, and with a stale generated file: cleanupcheck loads packages
// so.
//
// For cleanupgen's own tools (cmd/cleanupcheck), not a stable API.
func Stubs(pkg string, files []string, xtest bool) map[string][]byte {
	b := newOverlayBuilder(newOutputNames(DefaultOutput))
	b.add(pkg, files, xtest)
	return b.overlay()
}
