package runtime

import (
	"context"
	"errors"
	"math"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// behaviour is a teardown that misbehaves in one way; release ends every
// hang, so that a test can leave no goroutine behind.
type behaviour func(ctx context.Context, release <-chan struct{}) error

var errBoom = errors.New("boom")

var behaviours = map[string]behaviour{
	"ok":             func(context.Context, <-chan struct{}) error { return nil },
	"error":          func(context.Context, <-chan struct{}) error { return errBoom },
	"panic":          func(context.Context, <-chan struct{}) error { panic("kaboom") },
	"hangs":          func(_ context.Context, release <-chan struct{}) error { <-release; return nil },
	"ignores ctx":    func(context.Context, <-chan struct{}) error { time.Sleep(10 * time.Second); return nil },
	"slow in budget": func(ctx context.Context, _ <-chan struct{}) error { time.Sleep(time.Second); return nil },
	"honours ctx": func(ctx context.Context, release <-chan struct{}) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-release:
			return nil
		}
	},
}

func TestManagerStepBehaviours(t *testing.T) {
	tests := []struct {
		behaviour string
		state     State
		elapsed   time.Duration // Wait's duration with a 5s timeout
		errIs     error
	}{
		{"ok", StateOK, 0, nil},
		{"error", StateFailed, 0, errBoom},
		{"panic", StatePanicked, 0, nil},
		{"hangs", StateAbandoned, 5*time.Second + Grace, context.DeadlineExceeded},
		{"ignores ctx", StateAbandoned, 5*time.Second + Grace, context.DeadlineExceeded},
		{"slow in budget", StateOK, time.Second, nil},
		{"honours ctx", StateFailed, 5 * time.Second, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.behaviour, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				release := make(chan struct{})
				defer close(release)
				defer time.Sleep(time.Minute) // lets the steps that ignore ctx end
				m := NewManager(context.Background(), 5*time.Second, WithName("test.behaviours"))
				m.Go(tt.behaviour, func(ctx context.Context) error { return behaviours[tt.behaviour](ctx, release) })
				start := time.Now()
				err := m.Wait()
				assert.Equal(t, tt.elapsed, time.Since(start))

				res := m.Results()
				require.Len(t, res, 1)
				assert.Equal(t, tt.behaviour, res[0].Name)
				assert.Equal(t, tt.state, res[0].State)
				if tt.state == StateOK {
					assert.NoError(t, err)
					return
				}
				var ce *CleanupError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, "test.behaviours", ce.Type)
				assert.Contains(t, err.Error(), tt.behaviour)
				assert.Contains(t, err.Error(), tt.state.String())
				if tt.errIs != nil {
					assert.ErrorIs(t, err, tt.errIs)
				}
				if tt.state == StatePanicked {
					var pe *PanicError
					require.ErrorAs(t, err, &pe)
					assert.Equal(t, "kaboom", pe.Value)
					assert.NotEmpty(t, pe.Stack)
				}
			})
		})
	}
}

func TestManagerRunsTasksConcurrently(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(context.Background(), 5*time.Second)
		for _, name := range []string{"a", "b", "c"} {
			m.Go(name, func(context.Context) error { time.Sleep(time.Second); return nil })
		}
		start := time.Now()
		require.NoError(t, m.Wait())
		assert.Equal(t, time.Second, time.Since(start), "three 1s tasks in parallel take 1s")
		names := []string{}
		for _, r := range m.Results() {
			names = append(names, r.Name)
			assert.Equal(t, time.Second, r.Duration)
		}
		assert.Equal(t, []string{"a", "b", "c"}, names, "results keep the order of Go")
	})
}

func TestManagerKeepsEveryError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		m := NewManager(context.Background(), time.Second)
		errA, errB := errors.New("a failed"), errors.New("b failed")
		m.Go("a", func(context.Context) error { return errA })
		m.Go("stuck", func(context.Context) error { <-release; return nil })
		m.Go("b", func(context.Context) error { return errB })
		m.Go("fine", func(context.Context) error { return nil })
		err := m.Wait()
		assert.ErrorIs(t, err, errA)
		assert.ErrorIs(t, err, errB)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		var names []string
		for _, r := range ce.Tasks {
			names = append(names, r.Name)
		}
		assert.Equal(t, []string{"a", "stuck", "b"}, names)
		assert.Equal(t, "cleanup runtime.Manager: 3 steps did not succeed: a: failed after 0s: a failed; "+
			"stuck: abandoned after 1.00025s: cleanup deadline exceeded; b: failed after 0s: b failed", err.Error())
	})
}

func TestManagerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(context.Background(), 3*time.Second)
		assert.Equal(t, time.Now().Add(3*time.Second), m.Deadline())
		time.Sleep(time.Second)
		assert.Equal(t, 2*time.Second, m.TimeRemaining())
		time.Sleep(5 * time.Second)
		assert.Equal(t, time.Duration(0), m.TimeRemaining())

		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m = NewManager(ctx, time.Hour)
		assert.Equal(t, time.Now().Add(time.Second), m.Deadline(), "the context's earlier deadline wins")
		require.NoError(t, m.Wait())
	})
}

func TestManagerExpiredAndCancelledContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)

		expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		m := NewManager(expired, time.Hour)
		started := make(chan struct{})
		m.Go("stuck", func(ctx context.Context) error { close(started); <-release; return nil })
		start := time.Now()
		err := m.Wait()
		assert.Equal(t, Grace, time.Since(start))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		<-started // a task is started even with an expired context

		cancelled, cancelIt := context.WithCancelCause(context.Background())
		stop := errors.New("shutting down now")
		m = NewManager(cancelled, time.Hour)
		m.Go("stuck", func(ctx context.Context) error { <-release; return nil })
		time.AfterFunc(time.Second, func() { cancelIt(stop) })
		start = time.Now()
		err = m.Wait()
		assert.Equal(t, time.Second+Grace, time.Since(start), "cancellation ends the wait")
		assert.ErrorIs(t, err, stop, "the cancellation cause is reported")
	})
}

func TestManagerAbandonedBookkeeping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		releaseA, releaseB := make(chan struct{}), make(chan struct{})
		started := time.Now()
		m := NewManager(context.Background(), time.Second, WithName("test.abandoned"))
		m.Go("a", func(context.Context) error { <-releaseA; return nil })
		m.Go("b", func(context.Context) error { <-releaseB; return errBoom })
		m.Go("quick", func(context.Context) error { return nil })
		require.Error(t, m.Wait())
		id := m.id
		assert.NotZero(t, id)
		assert.Equal(t, []AbandonedTask{
			{Teardown: id, Client: "test.abandoned", Step: "a", Started: started},
			{Teardown: id, Client: "test.abandoned", Step: "b", Started: started},
		}, Abandoned())

		close(releaseA)
		synctest.Wait()
		assert.Equal(t, []AbandonedTask{{Teardown: id, Client: "test.abandoned", Step: "b", Started: started}}, Abandoned())
		close(releaseB)
		synctest.Wait()
		assert.Empty(t, Abandoned())
		res := m.Results()
		assert.Equal(t, StateAbandoned, res[1].State, "a result reported at the deadline stays as reported")
	})
}

func TestManagerDeadlinesOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(SetDeadlines(false))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		m := NewManager(ctx, time.Second)
		assert.True(t, m.Deadline().IsZero())
		assert.Equal(t, time.Duration(math.MaxInt64), m.TimeRemaining())
		m.Go("slow", func(ctx context.Context) error {
			time.Sleep(time.Minute)
			return ctx.Err()
		})
		m.Go("fails", func(context.Context) error { return errBoom })
		start := time.Now()
		err := m.Wait()
		assert.Equal(t, time.Minute, time.Since(start), "without deadlines Wait waits for every task")
		assert.ErrorIs(t, err, errBoom, "errors are still collected")
		assert.NotErrorIs(t, err, context.DeadlineExceeded, "the task saw no deadline")
	})
}

func TestSetDeadlinesRestores(t *testing.T) {
	require.True(t, DeadlinesEnabled())
	restore := SetDeadlines(false)
	assert.False(t, DeadlinesEnabled())
	restore()
	assert.True(t, DeadlinesEnabled())
}

func TestManagerGoAfterWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewManager(context.Background(), time.Second)
		require.NoError(t, m.Wait())
		m.Go("late", func(ctx context.Context) error { return ctx.Err() })
		err := m.Wait()
		assert.ErrorIs(t, err, context.Canceled, "a task started after Wait gets a done context")
	})
}
