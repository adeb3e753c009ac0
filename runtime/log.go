package runtime

import (
	"context"
	"log/slog"
	"time"
)

// logStep logs one step's outcome through slog.Default: at Warn for a step
// that failed, panicked, timed out, was forced or was abandoned, at Debug for
// one that succeeded. budget, when positive, is the time the step was given.
func logStep(client string, r TaskResult, budget time.Duration) {
	level := slog.LevelWarn
	if r.State == StateOK {
		level = slog.LevelDebug
	}
	if l := slog.Default(); l.Enabled(context.Background(), level) {
		logEnabled(l, level, client, r, budget)
	}
}

// logEnabled is logStep's slow path, kept out of line so that the fast path
// adds little to the stack of the goroutine that runs the steps.
//
//go:noinline
func logEnabled(l *slog.Logger, level slog.Level, client string, r TaskResult, budget time.Duration) {
	attrs := []slog.Attr{
		slog.String("client", client),
		slog.String("step", r.Name),
		slog.String("state", r.State.String()),
		slog.Duration("duration", r.Duration),
	}
	if budget > 0 {
		attrs = append(attrs, slog.Duration("budget", budget))
	}
	if r.Err != nil {
		attrs = append(attrs, slog.Any("error", r.Err))
	}
	l.LogAttrs(context.Background(), level, "cleanup step "+r.State.String(), attrs...)
}
