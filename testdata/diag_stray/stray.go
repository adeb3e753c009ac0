// Package diag_stray has directives that are attached to nothing they can serve.
package diag_stray

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client

type Detached struct {
	guard runtime.Guard
}

//cleanup:close
var global io.Closer

func local() {
	//cleanup:client
	type inner struct{ guard runtime.Guard }
	_ = inner{}
}

//cleanup:client
type Client struct {
	guard  runtime.Guard
	nested struct {
		//cleanup:close
		body io.Closer
	}
}
