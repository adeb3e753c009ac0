package cleanuptest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest/internal/store"
)

// recorder is a testing.TB that records failures instead of failing the
// test; everything else (Cleanup in particular) goes to the real test.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Failures() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.failures...)
}

func TestAssertClosesCleanlyPasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		db, index := cleanuptest.OK(), cleanuptest.Slow(t, 10*time.Millisecond)
		s := store.New(db, index)
		rec := &recorder{TB: t}
		assert.True(t, cleanuptest.AssertClosesCleanly(rec, s, cleanuptest.Timeout(time.Second)))
		assert.Empty(t, rec.Failures())
		assert.Equal(t, 1, db.Calls(), "the second close tore down again")
		assert.Equal(t, 1, index.Calls(), "the second close tore down again")
		assert.ErrorIs(t, s.Ping(), runtime.ErrClosed)
	})
}

// TestAssertClosesCleanlyForced: an index that ignores its context is
// killed when its 200ms run out; a forced step is a clean close.
func TestAssertClosesCleanlyForced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		index := cleanuptest.IgnoreContext(t, time.Hour)
		s := store.New(cleanuptest.OK(), index)
		rec := &recorder{TB: t}
		assert.True(t, cleanuptest.AssertClosesCleanly(rec, s, cleanuptest.Timeout(time.Second)))
		assert.Empty(t, rec.Failures())
		assert.True(t, index.Killed())
	})
}

func TestAssertClosesCleanlyFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		// client returns the client to close; its resources are made
		// with t.
		client  func(t testing.TB) cleanuptest.Closer
		timeout time.Duration
		// want are the lines each failure message must hold, one
		// failure each.
		want [][]string
	}{{
		name: "failed",
		client: func(testing.TB) cleanuptest.Closer {
			return store.New(cleanuptest.Fail(errors.New("connection reset")), cleanuptest.OK())
		},
		want: [][]string{{
			"cleanuptest: *store.Store did not close cleanly:",
			"\tstep db: failed after 0s: connection reset",
		}},
	}, {
		name:   "panicked",
		client: func(testing.TB) cleanuptest.Closer { return store.New(cleanuptest.Panic("boom"), cleanuptest.OK()) },
		want: [][]string{{
			"cleanuptest: *store.Store did not close cleanly:",
			"\tstep db: panicked after 0s: panic: boom",
		}},
	}, {
		name:   "abandoned",
		client: func(t testing.TB) cleanuptest.Closer { return store.New(cleanuptest.Hang(t), cleanuptest.OK()) },
		want: [][]string{{
			"cleanuptest: *store.Store did not close cleanly:",
			"\tstep db: abandoned after 1.00025s: cleanup deadline exceeded",
		}},
	}, {
		name: "over its timeout",
		client: func(t testing.TB) cleanuptest.Closer {
			return store.New(cleanuptest.Slow(t, 300*time.Millisecond), cleanuptest.OK())
		},
		timeout: 100 * time.Millisecond,
		want:    [][]string{{"cleanuptest: *store.Store took 300ms to close, more than its timeout of 100ms"}},
	}, {
		name:   "left a step running",
		client: func(t testing.TB) cleanuptest.Closer { return &leaky{db: cleanuptest.Hang(t)} },
		want: [][]string{{
			"cleanuptest: *cleanuptest_test.leaky left steps running after its close returned:",
			"\tstep \"db\", running for 1.00",
		}},
	}, {
		name:   "a different result",
		client: func(testing.TB) cleanuptest.Closer { return &fickle{} },
		want: [][]string{
			{"cleanuptest: *cleanuptest_test.fickle did not close cleanly:\n\tclose 1"},
			{"cleanuptest: *cleanuptest_test.fickle returned a different result when closed again: \"close 1\", then \"close 2\""},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &recorder{TB: t}
				timeout := tc.timeout
				if timeout == 0 {
					timeout = time.Second
				}
				assert.False(t, cleanuptest.AssertClosesCleanly(rec, tc.client(t), cleanuptest.Timeout(timeout)))
				failures := rec.Failures()
				require.Len(t, failures, len(tc.want), "%q", failures)
				for i, lines := range tc.want {
					for _, line := range lines {
						assert.Contains(t, failures[i], line)
					}
				}
			})
		})
	}
}

// leaky closes with a Manager, once, but returns nil whatever the Manager
// says: its stuck step is still running when its close returns.
type leaky struct {
	db     *cleanuptest.Resource
	closed bool
}

func (l *leaky) CloseContext(ctx context.Context) error {
	if l.closed {
		return nil
	}
	l.closed = true
	m := runtime.NewManager(ctx, time.Second, runtime.WithName("cleanuptest_test.leaky"))
	m.Go("db", func(context.Context) error { return l.db.Close() })
	_ = m.Wait()
	return nil
}

// fickle returns a new error on every close.
type fickle struct{ n int }

func (f *fickle) CloseContext(context.Context) error {
	f.n++
	return fmt.Errorf("close %d", f.n)
}
