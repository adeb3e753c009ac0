// Package buildtags has files that the default build excludes; their
// directives are not seen, nor are those of its _test.go files.
package buildtags

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	//cleanup:close
	body io.ReadCloser
}
