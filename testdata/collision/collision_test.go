package collision

// cleanupServer is declared in a _test.go file, which cleanupgen does not
// load but which is compiled with the generated file by go test.
func cleanupServer() {}
