//go:build debug

package configs

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Tracer struct {
	guard runtime.Guard
	//cleanup:close
	out io.Closer
}
