package cleanuptest_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
)

func TestNewLogHandler(t *testing.T) {
	rec := &recorder{TB: t}
	l := slog.New(cleanuptest.NewLogHandler(rec, nil))
	l.Debug("not logged")
	l.With("client", "store.Store").Warn("cleanup step failed", "step", "db")
	assert.Equal(t, []string{`level=WARN msg="cleanup step failed" client=store.Store step=db`}, rec.Logs())
}

// TestLogToTest: the runtime's events go to the test's log, and slog's
// default is restored when the test ends.
func TestLogToTest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, runtime.Flush(ctx), "the events of earlier tests are not this test's")
	prev := slog.Default()
	rec := &recorder{TB: t}
	t.Run("test", func(t *testing.T) {
		rec.TB = t
		cleanuptest.LogToTest(rec, nil)
		m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("cleanuptest_test.logged"))
		m.Go("db", func(context.Context) error { return errors.New("connection reset") })
		require.Error(t, m.Wait())
		require.NoError(t, runtime.Flush(ctx))
	})
	assert.Same(t, prev, slog.Default())
	// Only this test's teardowns: an abandoned step of an earlier test may
	// return, and be logged, at any time.
	var logs []string
	for _, l := range rec.Logs() {
		if strings.Contains(l, "cleanuptest_test.logged") {
			logs = append(logs, l)
		}
	}
	require.Len(t, logs, 1)
	assert.Contains(t, logs[0], "level=WARN")
	assert.Contains(t, logs[0], "cleanuptest_test.logged")
	assert.Contains(t, logs[0], "connection reset")
}
