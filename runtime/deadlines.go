package runtime

import (
	"os"
	"sync/atomic"
)

// deadlinesOff is the rollback flag: CLEANUPGEN_DEADLINES=off, read once.
var deadlinesOff atomic.Bool

func init() {
	deadlinesOff.Store(os.Getenv("CLEANUPGEN_DEADLINES") == "off")
}

// DeadlinesEnabled reports whether teardowns run under deadlines. It is true
// unless the process started with CLEANUPGEN_DEADLINES=off in its environment
// or [SetDeadlines] turned deadlines off.
func DeadlinesEnabled() bool {
	return !deadlinesOff.Load()
}

// SetDeadlines turns deadlines on or off for the whole process, overriding
// CLEANUPGEN_DEADLINES, and returns a function that restores the previous
// setting. It is meant for tests (t.Cleanup(runtime.SetDeadlines(false)));
// tests that call it must not run in parallel with tests that close clients.
//
// The setting is read when a Close or NewManager starts: a teardown already
// under way keeps the setting it started with.
func SetDeadlines(enabled bool) (restore func()) {
	prev := deadlinesOff.Swap(!enabled)
	return func() { deadlinesOff.Store(prev) }
}
