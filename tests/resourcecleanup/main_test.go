package resourcecleanup

import (
	"log/slog"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// processLogger is the default slog logger the process started with: its
// handler writes through the log package, as in a program that keeps it.
var processLogger = slog.Default()

func TestMain(m *testing.M) {
	// Every failed, forced or abandoned step logs at Warn; the stress test
	// alone would print ten thousand lines. Tests that check the events
	// install a handler of their own.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	if os.Getenv("RESOURCECLEANUP_LOG") != "" {
		slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	}
	goleak.VerifyTestMain(m)
}

// slack is what tests on the real clock allow beyond a deadline: two cores,
// the race detector and the other packages' tests run at the same time.
const slack = 250 * time.Millisecond
