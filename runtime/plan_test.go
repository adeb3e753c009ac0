package runtime

import (
	"bytes"
	"context"
	"errors"
	"log"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClient is a client as generated code sees it. Its steps travel with
// it, so that the refs type can run the closures of each test's plan.
type testClient struct {
	guard Guard
	conn  *recorder
	items []*recorder
	steps []tstep
}

// tstep is a test's step: a Step whose teardown is a closure.
type tstep struct {
	Name    string
	Phase   int
	Timeout time.Duration
	Close   func(ctx context.Context, r *testRefs) error
	Force   func(ctx context.Context, r *testRefs) error
	Each    func(r *testRefs, add func(name string, close, force func(context.Context) error))
}

// testElem is one element of a collection tstep.
type testElem struct {
	name         string
	close, force func(context.Context) error
}

// testRefs is what the steps of a testClient use; it implements Refs.
type testRefs struct {
	conn  *recorder
	items []*recorder
	steps []tstep
	elems [][]testElem
}

func (r *testRefs) Take(x *testClient) {
	r.conn, r.items, r.steps = x.conn, x.items, x.steps
	r.elems = make([][]testElem, len(r.steps))
	for i, s := range r.steps {
		if s.Each != nil {
			s.Each(r, func(name string, close, force func(context.Context) error) {
				r.elems[i] = append(r.elems[i], testElem{name, close, force})
			})
		}
	}
}

func (r *testRefs) Drop(x *testClient)         { x.conn, x.items = nil, nil }
func (r *testRefs) Len(step int) int           { return len(r.elems[step]) }
func (r *testRefs) Name(step, elem int) string { return r.elems[step][elem].name }

func (r *testRefs) Close(ctx context.Context, step, elem int, force bool) error {
	s := r.steps[step]
	switch {
	case s.Each != nil && force:
		return r.elems[step][elem].force(ctx)
	case s.Each != nil:
		return r.elems[step][elem].close(ctx)
	case force:
		return s.Force(ctx, r)
	case s.Close != nil:
		return s.Close(ctx, r)
	}
	return nil
}

// testPlan is a Plan whose steps are closures.
type testPlan struct {
	p     Plan[testClient, testRefs]
	steps []tstep
}

// Close closes x with the plan, as a generated CloseContext would.
func (t *testPlan) Close(ctx context.Context, g *Guard, x *testClient) error {
	if x.steps == nil {
		x.steps = t.steps
	}
	return t.p.Close(ctx, g, x)
}

// recorder records when steps run, in fake time.
type recorder struct {
	mu     sync.Mutex
	events []string
	at     map[string]time.Time
}

func (r *recorder) record(event string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event)
	if r.at == nil {
		r.at = map[string]time.Time{}
	}
	r.at[event] = time.Now()
}

func (r *recorder) when(event string) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at, ok := r.at[event]
	return at, ok
}

func newClient() *testClient {
	return &testClient{conn: &recorder{}}
}

func plan(timeout time.Duration, steps ...tstep) *testPlan {
	t := &testPlan{p: Plan[testClient, testRefs]{Type: "test.Client", Timeout: timeout}, steps: steps}
	for _, s := range steps {
		t.p.Steps = append(t.p.Steps, Step{Name: s.Name, Phase: s.Phase, Timeout: s.Timeout, Force: s.Force != nil, Each: s.Each != nil})
	}
	return t
}

// step returns a step of the phase that records its start and end and runs
// fn in between.
func step(name string, phase int, fn func(ctx context.Context) error) tstep {
	return tstep{Name: name, Phase: phase, Close: func(ctx context.Context, r *testRefs) error {
		r.conn.record(name + " start")
		err := fn(ctx)
		r.conn.record(name + " end")
		return err
	}}
}

func sleep(d time.Duration) func(context.Context) error {
	return func(context.Context) error { time.Sleep(d); return nil }
}

func waitFor(ch <-chan struct{}) func(context.Context) error {
	return func(context.Context) error { <-ch; return nil }
}

func TestTeardownPhasesRunInOrderAndConcurrentlyWithin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		rec := c.conn
		td := plan(time.Minute,
			step("cancel", 0, sleep(time.Second)),
			step("wg", 1, sleep(time.Second)),
			step("conn", 2, sleep(time.Second)),
			step("file", 2, sleep(time.Second)),
			step("pipe", 2, sleep(time.Second)),
		)
		start := time.Now()
		require.NoError(t, td.Close(context.Background(), &c.guard, c))
		assert.Equal(t, 3*time.Second, time.Since(start), "three phases of 1s, the last one concurrent")
		for _, s := range []struct {
			name  string
			start time.Duration
		}{{"cancel", 0}, {"wg", time.Second}, {"conn", 2 * time.Second}, {"file", 2 * time.Second}, {"pipe", 2 * time.Second}} {
			at, ok := rec.when(s.name + " start")
			require.True(t, ok, s.name)
			assert.Equal(t, s.start, at.Sub(start), s.name)
		}
		assert.Nil(t, c.conn, "references are dropped")
	})
}

func TestTeardownUnsortedStepsAreSortedByPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		rec := c.conn
		td := plan(time.Minute, step("late", 5, sleep(0)), step("early", -1, sleep(0)), step("mid", 2, sleep(0)))
		require.NoError(t, td.Close(context.Background(), &c.guard, c))
		assert.Equal(t, []string{"early start", "early end", "mid start", "mid end", "late start", "late end"}, rec.events)
	})
}

func TestTeardownHungStepAbandonedAndLaterStepsStillStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := newClient()
		rec := c.conn
		var lateCtxErr error
		lateDone := make(chan struct{})
		td := plan(5*time.Second,
			step("stuck", 0, waitFor(release)),
			step("fine", 0, sleep(0)),
			step("late", 1, func(ctx context.Context) error {
				lateCtxErr = ctx.Err()
				close(lateDone)
				return nil
			}),
		)
		start := time.Now()
		err := td.Close(context.Background(), &c.guard, c)
		assert.Equal(t, 5*time.Second+Grace, time.Since(start), "returns at the deadline")
		synctest.Wait()
		assert.NotNil(t, c.conn, "references stay while a step runs: the client's goroutines may read them")
		defer func() {
			close(release)
			synctest.Wait()
			assert.Nil(t, c.conn, "references are dropped once the hung step returns")
		}()

		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "test.Client", ce.Type)
		require.Len(t, ce.Tasks, 2)
		assert.Equal(t, TaskResult{Name: "stuck", State: StateAbandoned, Duration: 5*time.Second + Grace, Err: errDeadline}, ce.Tasks[0])
		assert.Equal(t, TaskResult{Name: "late", State: StateNotStarted, Err: errDeadline}, ce.Tasks[1],
			"a step the deadline came before did not hang: it had no time")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Equal(t, "cleanup test.Client: 2 steps did not succeed: stuck: abandoned after 5.00025s: cleanup deadline exceeded; late: not started by the deadline", err.Error())

		<-lateDone
		assert.ErrorIs(t, lateCtxErr, context.DeadlineExceeded, "a step started after the deadline gets an expired context")
		_, fineRan := rec.when("fine end")
		assert.True(t, fineRan)
	})
}

func TestTeardownStepTimeoutLetsNextPhaseStart(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		c := newClient()
		rec := c.conn
		stuck := step("stuck", 0, waitFor(release))
		stuck.Timeout = time.Second
		polite := step("polite", 0, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		polite.Timeout = 2 * time.Second
		td := plan(time.Minute, stuck, polite, step("next", 1, sleep(time.Second)))
		start := time.Now()
		err := td.Close(context.Background(), &c.guard, c)
		assert.Equal(t, 3*time.Second, time.Since(start), "phase 0 ends with the longest budget, 2s; phase 1 takes 1s")
		at, _ := rec.when("next start")
		assert.Equal(t, 2*time.Second, at.Sub(start))

		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 2)
		assert.Equal(t, TaskResult{Name: "stuck", State: StateAbandoned, Duration: 3 * time.Second, Err: errBudget}, ce.Tasks[0],
			"still running when Close returned")
		assert.Equal(t, TaskResult{Name: "polite", State: StateTimedOut, Duration: 2 * time.Second, Err: context.DeadlineExceeded}, ce.Tasks[1],
			"returned when its budget ran out")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestTeardownForce(t *testing.T) {
	tests := []struct {
		name     string
		timeout  time.Duration // the step's own
		forcedAt time.Duration
	}{
		{"at the step timeout", time.Second, time.Second},
		{"early enough to finish before the deadline", 0, 9 * time.Second}, // a 10s budget keeps 1s for force
		{"timeout past the force reserve", 30 * time.Second, 9 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newClient()
				rec := c.conn
				stop := make(chan struct{})
				srv := tstep{
					Name:    "server",
					Timeout: tt.timeout,
					Close: func(ctx context.Context, r *testRefs) error {
						<-stop // a Shutdown that waits for a connection that never goes idle
						return nil
					},
					Force: func(ctx context.Context, r *testRefs) error {
						r.conn.record("force")
						close(stop)
						return nil
					},
				}
				td := plan(10*time.Second, srv)
				start := time.Now()
				require.NoError(t, td.Close(context.Background(), &c.guard, c), "a successful force is no failure")
				at, ok := rec.when("force")
				require.True(t, ok)
				assert.Equal(t, tt.forcedAt, at.Sub(start))
				assert.Equal(t, tt.forcedAt, time.Since(start))
			})
		})
	}
}

func TestTeardownForceFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		stop := make(chan struct{})
		defer close(stop)
		s := tstep{
			Name:    "server",
			Timeout: time.Second,
			Close:   func(ctx context.Context, _ *testRefs) error { <-stop; return nil },
			Force:   func(ctx context.Context, _ *testRefs) error { return errBoom },
		}
		err := plan(10*time.Second, s).Close(context.Background(), &c.guard, c)
		assert.ErrorIs(t, err, errBoom)
		assert.ErrorContains(t, err, "server: failed after 1s: force: boom")
	})
}

func TestTeardownPanicsAndErrorsAreCollected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		rec := c.conn
		td := plan(time.Minute,
			step("panics", 0, func(context.Context) error { panic(errBoom) }),
			step("fails", 0, func(context.Context) error { return errors.New("disk full") }),
			step("goexits", 0, func(context.Context) error { runtime.Goexit(); return nil }),
			step("after", 1, sleep(0)),
		)
		err := td.Close(context.Background(), &c.guard, c)
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 3)
		assert.Equal(t, StatePanicked, ce.Tasks[0].State)
		assert.ErrorIs(t, err, errBoom, "a panic with an error unwraps to it")
		assert.Equal(t, StateFailed, ce.Tasks[1].State)
		assert.Equal(t, StateFailed, ce.Tasks[2].State)
		assert.ErrorIs(t, ce.Tasks[2].Err, errGoexit)
		_, ok := rec.when("after end")
		assert.True(t, ok, "a failing phase does not stop the next")
	})
}

func TestTeardownEachElementIsAStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		c.items = []*recorder{{}, {}, {}}
		each := tstep{Name: "items", Phase: 2, Each: func(r *testRefs, add func(string, func(context.Context) error, func(context.Context) error)) {
			for i, it := range r.items {
				add("items["+strconv.Itoa(i)+"]", func(context.Context) error {
					time.Sleep(time.Second)
					it.record("closed")
					if i == 1 {
						return errBoom
					}
					return nil
				}, nil)
			}
		}}
		items := c.items
		start := time.Now()
		err := plan(time.Minute, each).Close(context.Background(), &c.guard, c)
		assert.Equal(t, time.Second, time.Since(start), "elements close concurrently")
		for _, it := range items {
			_, ok := it.when("closed")
			assert.True(t, ok)
		}
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, "items[1]", ce.Tasks[0].Name)
		assert.Nil(t, c.items)
	})
}

func TestTeardownWaitsForCallsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		rec := c.conn
		require.NoError(t, c.guard.Enter())
		go func() {
			time.Sleep(time.Second)
			assert.NotNil(t, c.conn, "a call in flight keeps its references")
			c.guard.Leave()
		}()
		start := time.Now()
		require.NoError(t, plan(10*time.Second, step("conn", 0, sleep(0))).Close(context.Background(), &c.guard, c))
		at, _ := rec.when("conn start")
		assert.Equal(t, time.Second, at.Sub(start), "teardown starts when the call has left")
		assert.Nil(t, c.conn)
	})
}

func TestTeardownCallThatNeverLeaves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		rec := c.conn
		require.NoError(t, c.guard.Enter())
		start := time.Now()
		err := plan(10*time.Second, step("conn", 0, sleep(0))).Close(context.Background(), &c.guard, c)
		assert.Equal(t, 10*time.Second, time.Since(start))
		at, _ := rec.when("conn start")
		assert.Equal(t, 5*time.Second, at.Sub(start), "teardown starts after half the budget")
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, inFlightStep, ce.Tasks[0].Name)
		assert.Equal(t, StateAbandoned, ce.Tasks[0].State)
		assert.NotNil(t, c.conn, "references stay while the call is in flight")
		c.guard.Leave()
		assert.Nil(t, c.conn, "the last Leave drops them")
	})
}

func TestTeardownExpiredAndCancelledContexts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		c := newClient()
		rec := c.conn
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		err := plan(time.Minute, step("a", 0, waitFor(release)), step("b", 1, sleep(0))).Close(ctx, &c.guard, c)
		assert.Equal(t, Grace, time.Since(start))
		assert.ErrorIs(t, err, context.Canceled)
		synctest.Wait()
		_, ok := rec.when("b end")
		assert.True(t, ok, "every step is started, to release what it holds")

		c = newClient()
		expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel2()
		release2 := make(chan struct{})
		err = plan(time.Minute, step("a", 0, waitFor(release2))).Close(expired, &c.guard, c)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		synctest.Wait()
		assert.NotNil(t, c.conn, "not dropped while the abandoned step runs")
		close(release2)
		synctest.Wait()
		assert.Nil(t, c.conn, "dropped once it returned")
	})
}

func TestTeardownAbandonedBookkeeping(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := newClient()
		start := time.Now()
		require.Error(t, plan(time.Second, step("stuck", 0, waitFor(release)), step("ok", 0, sleep(0))).Close(context.Background(), &c.guard, c))
		got := Abandoned()
		require.Len(t, got, 1)
		assert.NotZero(t, got[0].Teardown)
		assert.Equal(t, []AbandonedTask{{Teardown: got[0].Teardown, Client: "test.Client", Step: "stuck", Started: start}}, got)
		close(release)
		synctest.Wait()
		assert.Empty(t, Abandoned(), "a step leaves the list when it returns")
	})
}

func TestTeardownDeadlinesOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		t.Cleanup(SetDeadlines(false))
		c := newClient()
		rec := c.conn
		slow := step("slow", 0, func(ctx context.Context) error {
			time.Sleep(time.Minute)
			return ctx.Err()
		})
		slow.Timeout = time.Second
		slow.Force = func(context.Context, *testRefs) error { rec.record("force"); return nil }
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := plan(time.Second, slow, step("fails", 1, func(context.Context) error { return errBoom })).Close(ctx, &c.guard, c)
		assert.Equal(t, time.Minute, time.Since(start), "without deadlines Close waits for every step")
		assert.ErrorIs(t, err, errBoom, "errors are still collected")
		assert.NotErrorIs(t, err, context.DeadlineExceeded)
		_, forced := rec.when("force")
		assert.False(t, forced, "no force without deadlines")
	})
}

// ctxHandler records the contexts its records are logged with, then hands
// them to its inner handler.
type ctxHandler struct {
	slog.Handler
	mu   *sync.Mutex
	vals *[]any
}

func (h ctxHandler) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	*h.vals = append(*h.vals, ctx.Value(reportCtxKey{}))
	h.mu.Unlock()
	return h.Handler.Handle(ctx, r)
}

func TestTeardownLogsEvents(t *testing.T) {
	settleEvents(t)
	var buf bytes.Buffer
	prev := slog.Default()
	var mu sync.Mutex
	var vals []any
	slog.SetDefault(slog.New(ctxHandler{slog.NewTextHandler(&buf, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			switch a.Key {
			case slog.TimeKey:
				return slog.Attr{}
			case "cleanupgen.teardown.id":
				return slog.String(a.Key, "ID")
			}
			return a
		},
	}), &mu, &vals}))
	prevOut, prevFlags := log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		c := newClient()
		ctx := context.WithValue(context.Background(), reportCtxKey{}, "caller")
		_ = plan(time.Second,
			step("ok", 0, sleep(0)),
			step("fails", 0, func(context.Context) error { return errBoom }),
			step("stuck", 0, waitFor(release)),
		).Close(ctx, &c.guard, c)
		synctest.Wait()
		close(release)
		synctest.Wait()
	})
	out := buf.String()
	assert.Contains(t, out, `level=WARN msg="cleanup step failed" cleanupgen.client=test.Client cleanupgen.teardown.id=ID cleanupgen.step=fails cleanupgen.phase=0 cleanupgen.state=failed cleanupgen.duration=0s cleanupgen.budget=1s error=boom`)
	assert.Contains(t, out, `level=WARN msg="cleanup step abandoned" cleanupgen.client=test.Client cleanupgen.teardown.id=ID cleanupgen.step=stuck cleanupgen.phase=0 cleanupgen.state=abandoned cleanupgen.duration=1.00025s cleanupgen.budget=1s`)
	assert.Contains(t, out, `level=INFO msg="cleanup step returned after it was abandoned" cleanupgen.client=test.Client cleanupgen.teardown.id=ID cleanupgen.step=stuck`)
	assert.NotContains(t, out, "cleanupgen.step=ok", "success is logged at Debug")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, vals, 3)
	for _, v := range vals {
		assert.Equal(t, "caller", v, "records carry the caller's context")
	}
}

func TestTeardownStepReturningOnItsBudgetIsTimedOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		polite := step("polite", 0, func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		polite.Timeout = 300 * time.Millisecond
		err := plan(time.Second, polite).Close(context.Background(), &c.guard, c)
		var ce *CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, StateTimedOut, ce.Tasks[0].State, "it returned; nothing abandoned it")
		assert.Equal(t, 300*time.Millisecond, ce.Tasks[0].Duration)
		assert.Empty(t, Abandoned())
	})
}

func TestTeardownBudgetAtTheDeadlineIsDeterministic(t *testing.T) {
	seen := map[string]int{}
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			c := newClient()
			stuck := step("stuck", 0, waitFor(release))
			stuck.Timeout = 300 * time.Millisecond // past the caller's deadline
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			seen[plan(time.Second, stuck).Close(ctx, &c.guard, c).Error()]++
		})
	}
	assert.Equal(t, map[string]int{
		"cleanup test.Client: 1 step did not succeed: stuck: abandoned after 200.25ms: cleanup deadline exceeded": 20,
	}, seen)
}

// serverStep is a step like //cleanup:close Shutdown force=Close on an
// *http.Server whose connection never goes idle: Shutdown returns its
// context's error when its budget ends, and only Close releases.
func serverStep(timeout time.Duration, closed chan struct{}) tstep {
	return tstep{
		Name:    "server",
		Timeout: timeout,
		Close: func(ctx context.Context, _ *testRefs) error {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-closed:
				return nil
			}
		},
		Force: func(context.Context, *testRefs) error { close(closed); return nil },
	}
}

func TestTeardownForceAfterGracefulGivesUp(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		closed := make(chan struct{})
		start := time.Now()
		require.NoError(t, plan(10*time.Second, serverStep(time.Second, closed)).Close(context.Background(), &c.guard, c))
		<-closed
		assert.Equal(t, time.Second, time.Since(start))
	})
}

func TestTeardownForceWithNoTimeLeft(t *testing.T) {
	for _, name := range []string{"expired", "cancelled", "late"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newClient()
				closed := make(chan struct{})
				ctx := context.Background()
				steps := []tstep{serverStep(0, closed)}
				switch name {
				case "expired":
					var cancel context.CancelFunc
					ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
					defer cancel()
				case "cancelled":
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					cancel()
				case "late":
					release := make(chan struct{})
					defer close(release)
					steps = []tstep{step("stuck", 0, waitFor(release)), serverStep(0, closed)}
					steps[1].Phase = 1
				}
				_ = plan(time.Second, steps...).Close(ctx, &c.guard, c)
				synctest.Wait()
				select {
				case <-closed:
				default:
					t.Fatal("force was not called: the server is never released")
				}
			})
		})
	}
}

func TestTeardownForceWithinTheCallersDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		closed := make(chan struct{})
		stuck := tstep{
			Name:  "server",
			Close: func(context.Context, *testRefs) error { <-closed; return nil }, // ignores ctx
			Force: func(context.Context, *testRefs) error { close(closed); return nil },
		}
		// The caller's deadline, not the plan's minute, sets the time the
		// force is called: with the last quarter of it left.
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		require.NoError(t, plan(time.Minute, stuck).Close(ctx, &c.guard, c), "forced before the deadline")
		<-closed
		assert.Equal(t, 750*time.Millisecond, time.Since(start))
	})
}
