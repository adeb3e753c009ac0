// Package configs has a client whose field types differ between build
// configurations: its generated file is the same in every one.
package configs

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type App struct {
	guard runtime.Guard
	//cleanup:close
	w *Watcher
	//cleanup:close
	byHandle map[handle]io.Closer
	//cleanup:close
	tracer *Tracer
	//cleanup:close
	fd fdT
	//cleanup:close
	fds []fdT
	//cleanup:nil
	spare fdT
}
