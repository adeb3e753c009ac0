package buildtags

// testClient is never seen: cleanupgen ignores _test.go files.
//
//cleanup:client
type testClient struct{}
