package configs

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Watcher struct {
	guard runtime.Guard
	//cleanup:close
	inotify io.Closer
}
