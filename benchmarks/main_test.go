package benchmarks

import (
	"log/slog"
	"os"
	"testing"
)

// TestMain discards the runtime's log events: the other approaches log
// nothing, and a Warn line per abandoned step would bury the results.
// cmd/overshoot measures what logging them to standard error costs.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
