package cleanuptest_test

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

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
	logs     []string
	stopped  bool
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func (r *recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, fmt.Sprint(args...))
}

func (r *recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprint(args...))
}

// FailNow records that the test was stopped and stops the goroutine, as
// testing.T's does.
func (r *recorder) FailNow() {
	r.mu.Lock()
	r.stopped = true
	r.mu.Unlock()
	goruntime.Goexit()
}

func (r *recorder) Logs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.logs...)
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
		assert.True(t, cleanuptest.AssertClosesCleanly(rec, s), "the plan's own timeout, unstated")
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
			"\tstep \"db\" of cleanuptest_test.leaky, running for 1.00",
		}},
	}, {
		name:    "over the plan's own timeout",
		client:  func(testing.TB) cleanuptest.Closer { return &dawdler{} },
		timeout: -1, // unstated: the Manager's 100ms
		want:    [][]string{{"cleanuptest: *cleanuptest_test.dawdler took 400ms to close, more than its timeout of 100ms"}},
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
				var opts []cleanuptest.Option
				switch {
				case tc.timeout == 0:
					opts = append(opts, cleanuptest.Timeout(time.Second))
				case tc.timeout > 0:
					opts = append(opts, cleanuptest.Timeout(tc.timeout))
				}
				assert.False(t, cleanuptest.AssertClosesCleanly(rec, tc.client(t), opts...))
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

// dawdler closes with a Manager of 100ms, and then takes 300ms more.
type dawdler struct{ closed bool }

func (d *dawdler) CloseContext(ctx context.Context) error {
	if d.closed {
		return nil
	}
	d.closed = true
	m := runtime.NewManager(ctx, 100*time.Millisecond, runtime.WithName("cleanuptest_test.dawdler"))
	m.Go("db", func(context.Context) error { time.Sleep(100 * time.Millisecond); return nil })
	_ = m.Wait()
	time.Sleep(300 * time.Millisecond)
	return nil
}

// TestAssertClosesCleanlyIgnoresOtherTeardowns: a teardown of the same
// client type that abandons a step on purpose, started while the close
// under test runs (as a parallel test's would), is not this close's.
func TestAssertClosesCleanlyIgnoresOtherTeardowns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		healthy := store.New(cleanuptest.Slow(t, 100*time.Millisecond), cleanuptest.OK())
		hung := cleanuptest.Hang(t)
		other := make(chan error, 1)
		go func() {
			time.Sleep(10 * time.Millisecond) // after the close under test began
			m := runtime.NewManager(context.Background(), 20*time.Millisecond, runtime.WithName("store.Store"))
			m.Go("db", func(context.Context) error { return hung.Close() })
			other <- m.Wait()
		}()
		rec := &recorder{TB: t}
		assert.True(t, cleanuptest.AssertClosesCleanly(rec, healthy))
		assert.Empty(t, rec.Failures())
		assert.Error(t, <-other, "the other teardown abandoned its step")
	})
}

// TestAssertClosesCleanlyOnce: a client that tears down again when closed
// again fails, though both closes return nil.
func TestAssertClosesCleanlyOnce(t *testing.T) {
	rec := &recorder{TB: t}
	assert.False(t, cleanuptest.AssertClosesCleanly(rec, &again{}))
	assert.Equal(t, []string{"cleanuptest: *cleanuptest_test.again tore down again when closed again"}, rec.Failures())
}

// again tears down on every close.
type again struct{}

func (*again) CloseContext(ctx context.Context) error {
	m := runtime.NewManager(ctx, time.Second, runtime.WithName("cleanuptest_test.again"))
	m.Go("db", func(context.Context) error { return nil })
	return m.Wait()
}

// leakingCloser's Close returns nil and leaves a goroutine running until
// stop is closed.
type leakingCloser struct{ stop chan struct{} }

func (l leakingCloser) Close() error {
	go func() { <-l.stop }()
	return nil
}

// TestNoLeakedGoroutines: a resource whose Close returns nil but leaves
// its goroutine running fails the assertion with NoLeakedGoroutines; a
// goroutine there before the option was made does not.
func TestNoLeakedGoroutines(t *testing.T) {
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	before := make(chan struct{})
	t.Cleanup(func() { close(before) })
	go func() { <-before }() // the process's, not the client's

	noLeaks := cleanuptest.NoLeakedGoroutines()
	s := store.New(leakingCloser{stop}, cleanuptest.OK())
	rec := &recorder{TB: t}
	assert.False(t, cleanuptest.AssertClosesCleanly(rec, s, noLeaks))
	failures := rec.Failures()
	require.Len(t, failures, 1)
	assert.Contains(t, failures[0], "cleanuptest: *store.Store left goroutines running that were not there before it was built:")
	assert.Contains(t, failures[0], "cleanuptest_test.leakingCloser.Close")
	assert.Equal(t, 1, strings.Count(failures[0], "Goroutine "), "only the client's goroutine: %s", failures[0])

	rec = &recorder{TB: t}
	noLeaks = cleanuptest.NoLeakedGoroutines()
	assert.True(t, cleanuptest.AssertClosesCleanly(rec, store.New(cleanuptest.OK(), cleanuptest.OK()), noLeaks))
	assert.Empty(t, rec.Failures())
}

// TestVerifyNone: a deferred leak check runs before the test's cleanups,
// while a step abandoned on a Hang fake still blocks: goleak finds it,
// VerifyNone releases the fakes first and finds nothing.
func TestVerifyNone(t *testing.T) {
	rec := &recorder{TB: t}
	hung := cleanuptest.Hang(rec)
	m := runtime.NewManager(context.Background(), 10*time.Millisecond, runtime.WithName("cleanuptest_test.hung"))
	m.Go("db", func(context.Context) error { return hung.Close() })
	require.Error(t, m.Wait())
	assert.Error(t, goleak.Find(), "what a deferred goleak.VerifyNone(t) sees")

	cleanuptest.VerifyNone(rec)
	assert.Empty(t, rec.Failures())
	assert.True(t, closedChan(hung.Returned()))
}

// TestVerifyNoneIdioms: the two idioms VerifyNone's documentation gives
// pass with a step abandoned on a Hang fake.
func TestVerifyNoneIdioms(t *testing.T) {
	abandon := func(t testing.TB) {
		hung := cleanuptest.Hang(t)
		m := runtime.NewManager(context.Background(), 10*time.Millisecond, runtime.WithName("cleanuptest_test.hung"))
		m.Go("db", func(context.Context) error { return hung.Close() })
		require.Error(t, m.Wait())
	}
	t.Run("defer cleanuptest.VerifyNone", func(t *testing.T) {
		defer cleanuptest.VerifyNone(t)
		abandon(t)
	})
	t.Run("goleak.VerifyNone in a cleanup made first", func(t *testing.T) {
		t.Cleanup(func() { goleak.VerifyNone(t) })
		abandon(t)
	})
}

func closedChan(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// TestRequireClosesCleanly: the Require form stops the test on a failure,
// and only then.
func TestRequireClosesCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, tc := range []struct {
			db   *cleanuptest.Resource
			stop bool
		}{{cleanuptest.OK(), false}, {cleanuptest.Fail(errors.New("connection reset")), true}} {
			rec := &recorder{TB: t}
			done := make(chan bool)
			go func() {
				defer close(done)
				cleanuptest.RequireClosesCleanly(rec, store.New(tc.db, cleanuptest.OK()))
				done <- true
			}()
			returned := <-done
			assert.Equal(t, !tc.stop, returned)
			assert.Equal(t, tc.stop, rec.stopped)
			assert.Equal(t, tc.stop, len(rec.Failures()) == 1)
		}
	})
}

// TestCheckClosesCleanly: the error lists the failures and wraps the
// close's error.
func TestCheckClosesCleanly(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		assert.NoError(t, cleanuptest.CheckClosesCleanly(store.New(cleanuptest.OK(), cleanuptest.OK())))
		err := cleanuptest.CheckClosesCleanly(store.New(cleanuptest.Fail(errors.New("connection reset")), cleanuptest.OK()))
		require.Error(t, err)
		assert.Equal(t, "*store.Store did not close cleanly:\n\tstep db: failed after 0s: connection reset", err.Error())
		var ce *runtime.CleanupError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "db", ce.Tasks[0].Name)
	})
}

// TestAssertClosesCleanlyParallel: two parallel tests of one client type,
// in real time, one abandoning steps on purpose all the while the other
// asserts: the healthy one passes every time. (Matched by type and start
// time, it failed all five.)
func TestAssertClosesCleanlyParallel(t *testing.T) {
	healthyDone := make(chan struct{})
	t.Run("abandons", func(t *testing.T) {
		t.Parallel()
		for {
			select {
			case <-healthyDone:
				return
			default:
			}
			hung := cleanuptest.Hang(t) // released when the subtest ends
			m := runtime.NewManager(context.Background(), time.Millisecond, runtime.WithName("store.Store"))
			m.Go("db", func(context.Context) error { return hung.Close() })
			require.Error(t, m.Wait())
		}
	})
	t.Run("healthy", func(t *testing.T) {
		t.Parallel()
		defer close(healthyDone)
		for range 5 {
			cleanuptest.AssertClosesCleanly(t, store.New(cleanuptest.Slow(t, 10*time.Millisecond), cleanuptest.OK()))
		}
	})
}
