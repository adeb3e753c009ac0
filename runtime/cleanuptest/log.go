package cleanuptest

import (
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// NewLogHandler returns a [slog.Handler] that writes each record to t.Log,
// in the text format of [slog.TextHandler] without the time (t.Log's
// output says when the test logged). opts are as for slog.NewTextHandler;
// nil logs Info and above. Records handled once t's test has ended are
// dropped, not logged: the runtime delivers its events after the fact.
//
// Its methods are safe for concurrent use.
func NewLogHandler(t testing.TB, opts *slog.HandlerOptions) slog.Handler {
	w := &testWriter{t: t}
	t.Cleanup(func() { w.done.Store(true) })
	o := slog.HandlerOptions{}
	if opts != nil {
		o = *opts
	}
	replace := o.ReplaceAttr
	o.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		if replace != nil {
			return replace(groups, a)
		}
		return a
	}
	return slog.NewTextHandler(w, &o)
}

// LogToTest routes the runtime's events (the log records of steps that
// fail, are forced, are abandoned or return late, which go to
// slog.Default) to t.Log until t's test ends: it makes a logger on
// [NewLogHandler] the default, and restores the previous default when the
// test ends. A failing test then shows what its teardowns did, beside its
// own output, instead of on the process's standard error.
//
// slog.Default is the process's: LogToTest is not for tests that run in
// parallel, whose records would go to whichever test set it last.
func LogToTest(t testing.TB, opts *slog.HandlerOptions) {
	prev := slog.Default()
	slog.SetDefault(slog.New(NewLogHandler(t, opts)))
	t.Cleanup(func() { slog.SetDefault(prev) })
}

// testWriter writes to t.Log until t's test has ended.
type testWriter struct {
	t    testing.TB
	mu   sync.Mutex
	done atomic.Bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	if w.done.Load() {
		return len(p), nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}
