package runtime

import (
	"context"
	"errors"
	"log"
	"log/slog"
	"math"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaturatedTimeoutMeansNoDeadline(t *testing.T) {
	t.Run("Manager", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			m := NewManager(context.Background(), math.MaxInt64)
			assert.True(t, m.Deadline().IsZero())
			assert.Equal(t, time.Duration(math.MaxInt64), m.TimeRemaining())
			var hasDeadline bool
			m.Go("slow", func(ctx context.Context) error {
				_, hasDeadline = ctx.Deadline()
				time.Sleep(time.Hour)
				return ctx.Err()
			})
			start := time.Now()
			require.NoError(t, m.Wait(), "Wait returns once every task has")
			assert.Equal(t, time.Hour, time.Since(start))
			assert.False(t, hasDeadline)
		})
	})
	t.Run("Manager cancelled", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			m := NewManager(ctx, math.MaxInt64)
			release := make(chan struct{})
			defer close(release)
			m.Go("stuck", func(context.Context) error { <-release; return nil })
			time.AfterFunc(time.Minute, cancel)
			start := time.Now()
			assert.ErrorIs(t, m.Wait(), context.Canceled)
			assert.Equal(t, time.Minute+Grace, time.Since(start))
		})
	})
	t.Run("Plan", func(t *testing.T) {
		settleEvents(t)
		synctest.Test(t, func(t *testing.T) {
			o := &recordingObserver{}
			defer AddObserver(o)()
			c := newClient()
			var hasDeadline bool
			start := time.Now()
			err := plan(math.MaxInt64, step("slow", 0, func(ctx context.Context) error {
				_, hasDeadline = ctx.Deadline()
				time.Sleep(time.Hour)
				return ctx.Err()
			}), step("next", 1, sleep(0))).Close(context.Background(), &c.guard, c)
			require.NoError(t, err, "nothing is late without a deadline")
			assert.Equal(t, time.Hour, time.Since(start))
			assert.False(t, hasDeadline)
			synctest.Wait()
			o.mu.Lock()
			defer o.mu.Unlock()
			require.Len(t, o.ended, 1)
			assert.True(t, o.ended[0].Deadline.IsZero(), "no deadline")
			assert.Zero(t, o.ended[0].Steps[0].Budget, "run without a deadline")
		})
	})
	t.Run("Plan under a context deadline", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			c := newClient()
			release := make(chan struct{})
			defer close(release)
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start := time.Now()
			err := plan(math.MaxInt64, step("stuck", 0, waitFor(release))).Close(ctx, &c.guard, c)
			assert.ErrorIs(t, err, context.DeadlineExceeded)
			assert.Equal(t, time.Second+Grace, time.Since(start))
		})
	})
}

// movingDeadline is a context whose deadline moves later each time it is
// asked.
type movingDeadline struct {
	context.Context
	base  time.Time
	asked atomic.Int64
}

func (c *movingDeadline) Deadline() (time.Time, bool) {
	n := c.asked.Add(1)
	return c.base.Add(time.Duration(n) * 200 * time.Millisecond), true
}

func TestContextDeadlineIsReadOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		ctx := &movingDeadline{Context: context.Background(), base: time.Now()}
		start := time.Now()
		err := plan(time.Minute, step("waits", 0, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})).Close(ctx, &c.guard, c)
		assert.Equal(t, 200*time.Millisecond, time.Since(start), "the deadline the caller saw first")
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, StateTimedOut, ce.Tasks[0].State)
	})
}

// shrinkingDeadline is a context whose deadline moves earlier each time it
// is asked, and whose Done never honours it.
type shrinkingDeadline struct {
	context.Context
	base  time.Time
	asked atomic.Int64
}

func (c *shrinkingDeadline) Deadline() (time.Time, bool) {
	n := c.asked.Add(1)
	return c.base.Add(time.Second - time.Duration(n)*100*time.Millisecond), true
}

func TestContextDeadlineThatMovesEarlierStillEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		ctx := &shrinkingDeadline{Context: context.Background(), base: time.Now()}
		start := time.Now()
		err := plan(time.Minute, step("waits", 0, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})).Close(ctx, &c.guard, c)
		assert.Equal(t, 900*time.Millisecond, time.Since(start), "the deadline the caller saw first")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestStepCutOffByTheDeadlineIsTimedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		wg := &sync.WaitGroup{}
		wg.Add(1) // never done
		err := plan(time.Second, step("wg", 1, func(ctx context.Context) error {
			done := make(chan struct{})
			go func() { wg.Wait(); close(done) }()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})).Close(context.Background(), &c.guard, c)
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, StateTimedOut, ce.Tasks[0].State, "not failed")
		assert.Equal(t, "cleanup test.Client: 1 step did not succeed: wg: timed out after 1s: context deadline exceeded", err.Error())
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		wg.Done()
	})
}

var errOwn = errors.New("own error")

func TestTimedOutStepKeepsItsOwnError(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		c := newClient()
		slow := step("slow", 0, func(context.Context) error {
			time.Sleep(70 * time.Millisecond)
			return errOwn
		})
		slow.Timeout = 30 * time.Millisecond
		start := time.Now()
		err := plan(time.Second, slow, step("next", 1, sleep(100*time.Millisecond))).Close(context.Background(), &c.guard, c)
		assert.Equal(t, 130*time.Millisecond+Grace, time.Since(start))
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, StateTimedOut, ce.Tasks[0].State)
		assert.ErrorIs(t, err, errOwn, "what it returned, before Close did")
		assert.Equal(t, 70*time.Millisecond, ce.Tasks[0].Duration)
		synctest.Wait()
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.ended, 1)
		assert.ErrorIs(t, o.ended[0].Steps[0].Err, errOwn)
	})
}

func TestReentrantOnlyWhileTheTeardownIsUnderWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		var kept context.Context
		p := plan(time.Second, step("fails", 0, func(ctx context.Context) error {
			kept = ctx
			return errBoom
		}))
		first := p.Close(context.Background(), &c.guard, c)
		require.ErrorIs(t, first, errBoom)
		assert.Same(t, first, p.Close(kept, &c.guard, c), "the teardown has ended: its result, not nil")
	})
}

func TestManagerSecondWaitListsNewAbandonedTask(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		releaseA, releaseB := make(chan struct{}), make(chan struct{})
		m := NewManager(context.Background(), time.Second, WithName("test.twice"))
		m.Go("a", func(context.Context) error { <-releaseA; return nil })
		require.Error(t, m.Wait())
		require.Len(t, Abandoned(), 1)
		close(releaseA)
		synctest.Wait()
		require.Empty(t, Abandoned())

		m.Go("b", func(context.Context) error { <-releaseB; return nil })
		require.Error(t, m.Wait())
		got := Abandoned()
		require.Len(t, got, 1, "the second Wait abandoned b")
		assert.Equal(t, "b", got[0].Step)
		close(releaseB)
		synctest.Wait()
		assert.Empty(t, Abandoned())
	})
}

func TestManagerLabelCacheIsBounded(t *testing.T) {
	for i := range 3 * labelCacheSize {
		taskLabels("test.labels", "task"+strconv.Itoa(i))
	}
	labelCache.mu.Lock()
	defer labelCache.mu.Unlock()
	assert.LessOrEqual(t, len(labelCache.m), labelCacheSize)
}

// goexitObserver calls runtime.Goexit, as t.FailNow in a test's observer
// would.
type goexitObserver struct{}

func (goexitObserver) Ended(Report)                { runtime.Goexit() }
func (goexitObserver) Returned(string, StepReport) { runtime.Goexit() }

// goexitHandler is a log handler that calls runtime.Goexit.
type goexitHandler struct{ slog.Handler }

func (goexitHandler) Enabled(context.Context, slog.Level) bool { return true }
func (goexitHandler) Handle(context.Context, slog.Record) error {
	runtime.Goexit()
	return nil
}

func TestDeliverySurvivesGoexit(t *testing.T) {
	settleEvents(t)
	prev := slog.Default()
	prevOut, prevFlags := log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	for _, name := range []string{"observer", "handler"} {
		t.Run(name, func(t *testing.T) {
			o := &recordingObserver{}
			remove := AddObserver(o) // before the one that exits: it is called first
			defer remove()
			if name == "observer" {
				defer AddObserver(goexitObserver{})()
			} else {
				slog.SetDefault(slog.New(goexitHandler{slog.DiscardHandler}))
				defer slog.SetDefault(prev)
			}
			for range 3 {
				c := newClient()
				require.Error(t, plan(time.Second, step("fails", 0, func(context.Context) error { return errBoom })).Close(context.Background(), &c.guard, c))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			require.NoError(t, Flush(ctx), "delivery goes on")
			o.mu.Lock()
			defer o.mu.Unlock()
			if name == "observer" {
				assert.Len(t, o.ended, 3)
			}
		})
	}
}

func TestForceThatPanicsOrExitsIsReported(t *testing.T) {
	for _, tt := range []struct {
		name  string
		force func(context.Context, *testRefs) error
		state State
	}{
		{"panic", func(context.Context, *testRefs) error { panic("force") }, StatePanicked},
		{"Goexit", func(context.Context, *testRefs) error { runtime.Goexit(); return nil }, StateFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				c := newClient()
				s := step("server", 0, waitFor(release))
				s.Timeout = 100 * time.Millisecond
				s.Force = tt.force
				err := plan(time.Second, s, step("next", 1, sleep(0))).Close(context.Background(), &c.guard, c)
				var ce *CleanupError
				require.ErrorAs(t, err, &ce)
				require.Len(t, ce.Tasks, 1)
				assert.Equal(t, tt.state, ce.Tasks[0].State)
				assert.ErrorContains(t, err, "server: "+tt.state.String()+" after 100ms: force: ")
				close(release)
			})
		})
	}
}

func TestManagerTaskThatExitsIsReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(context.Background(), time.Second)
		m.Go("exits", func(context.Context) error { runtime.Goexit(); return nil })
		err := m.Wait()
		assert.ErrorIs(t, err, errGoexit)
	})
}
