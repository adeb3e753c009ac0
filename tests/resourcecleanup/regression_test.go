package resourcecleanup

// Regression tests for the runtime bugs these tests found, written against
// runtime.Plan by hand so that they need no generator. Each asserts the
// fixed behaviour exactly.

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// bare is a client whose steps are closures, carried by the client so that
// its refs can run them.
type bare struct {
	guard runtime.Guard
	steps []bareStep
}

// bareStep is a step written by hand.
type bareStep struct {
	Name    string
	Phase   int
	Timeout time.Duration
	Close   func(ctx context.Context, r *bareRefs) error
	Force   func(ctx context.Context, r *bareRefs) error
}

// bareRefs implements runtime.Refs for bare.
type bareRefs struct{ steps []bareStep }

func (r *bareRefs) Take(x *bare)         { r.steps = x.steps }
func (r *bareRefs) Drop(x *bare)         { x.steps = nil }
func (r *bareRefs) Len(int) int          { return 0 }
func (r *bareRefs) Name(int, int) string { return "" }

func (r *bareRefs) Close(ctx context.Context, step, _ int, force bool) error {
	if force {
		return r.steps[step].Force(ctx, r)
	}
	return r.steps[step].Close(ctx, r)
}

// barePlan is a plan of bareSteps.
type barePlan struct {
	plan  runtime.Plan[bare, bareRefs]
	steps []bareStep
}

func (p *barePlan) Close(ctx context.Context, g *runtime.Guard, x *bare) error {
	if x.steps == nil {
		x.steps = p.steps
	}
	return p.plan.Close(ctx, g, x)
}

func bareTeardown(steps ...bareStep) *barePlan {
	p := &barePlan{plan: runtime.Plan[bare, bareRefs]{Type: "regression.bare", Timeout: time.Second}, steps: steps}
	for _, s := range steps {
		p.plan.Steps = append(p.plan.Steps, runtime.Step{Name: s.Name, Phase: s.Phase, Timeout: s.Timeout, Force: s.Force != nil})
	}
	return p
}

// spuriousRounds is how many rounds TestRegressionSpuriousCallsInFlight
// runs: about 3 s under -race on two cores. The bug showed in about one
// round in 8,000 of TestRaceCallsAndCloses, so one run has a fair chance of
// catching it back, and every run of the package (with the 200 rounds of
// TestRaceCallsAndCloses) adds to it.
const spuriousRounds = 2_000

// Regression: between the Add(-1) of the last Leave (or of an Enter that
// bounces off the closed guard) and its markIdle, the guard was neither in
// flight nor idle; Teardown.run then skipped its wait for calls in flight
// and reported "calls in flight: abandoned" with a nil error, although every
// call had left and the deadline was far away. No Close may return an error:
// every resource succeeds and nothing comes near the 2s timeout.
func TestRegressionSpuriousCallsInFlight(t *testing.T) {
	for i := range spuriousRounds {
		_, _, errs := raceRound(t)
		if !assert.Empty(t, errs, "round %d", i) || t.Failed() {
			return
		}
	}
}

// Regression: a step that honours its own budget (timeout=) and returns the
// moment it runs out was reported abandoned, and listed by Abandoned, when
// nothing else kept the teardown running. It is timed out, with the error it
// returned, and Close returns as it does.
func TestRegressionBudgetWithGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		td := bareTeardown(bareStep{
			Name: "polite", Timeout: 300 * time.Millisecond,
			Close: func(ctx context.Context, _ *bareRefs) error { <-ctx.Done(); return context.Cause(ctx) },
		})
		x := new(bare)
		start := time.Now()
		err := td.Close(context.Background(), &x.guard, x)
		assert.Equal(t, 300*time.Millisecond, time.Since(start), "Close's duration")
		assert.EqualError(t, err, "cleanup regression.bare: 1 step did not succeed: polite: timed out after 300ms: step budget exceeded")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var ce *runtime.CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, runtime.StateTimedOut, ce.Tasks[0].State)
		assert.Equal(t, 300*time.Millisecond, ce.Tasks[0].Duration)
		assert.Empty(t, abandonedSteps("regression.bare"))
	})
}

// Regression: when the deadline had passed (or ctx was cancelled) before a
// step with Force started, Force was never called: the graceful call was
// abandoned and the resource never released. Now the graceful call is
// started with the expired context and given Grace; the step still stuck
// then is reported abandoned and forced, which releases it.
func TestRegressionForceOnExpiredContext(t *testing.T) {
	for _, name := range []string{"expired", "cancelled"} {
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := NewServer()
				defer srv.Close()
				td := bareTeardown(bareStep{
					Name: "srv", Timeout: 300 * time.Millisecond,
					Close: func(ctx context.Context, _ *bareRefs) error { return srv.Shutdown(ctx) },
					Force: func(context.Context, *bareRefs) error { return srv.Close() },
				})
				x := new(bare)
				ctx := context.Background()
				cause := "cleanup deadline exceeded"
				if name == "expired" {
					var cancel context.CancelFunc
					ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
					defer cancel()
				} else {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					cancel()
					cause = "context canceled"
				}
				start := time.Now()
				err := td.Close(ctx, &x.guard, x)
				assert.Equal(t, runtime.Grace, time.Since(start), "Close's duration")
				assert.EqualError(t, err, "cleanup regression.bare: 1 step did not succeed: srv: abandoned after "+
					runtime.Grace.String()+": "+cause)
				assert.Equal(t, name == "expired", errors.Is(err, context.DeadlineExceeded), "errors.Is(err, context.DeadlineExceeded)")
				synctest.Wait()
				assert.Equal(t, 1, srv.Shutdowns(), "the graceful call")
				assert.Equal(t, 1, srv.Closes(), "force was not called: the server is never released")
				assert.Empty(t, abandonedSteps("regression.bare"), "the forced Shutdown returned")
			})
		})
	}
}

// Regression: a step budget clamped to the overall deadline (a step with
// timeout=300ms under a 200ms deadline) fired at the same instant as the
// deadline, and which timer ran first decided the result. A budget at the
// deadline is now the deadline's: one result, every time.
func TestRegressionBudgetAtDeadlineIsDeterministic(t *testing.T) {
	seen := make(map[string]int)
	const rounds = 50
	for range rounds {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			td := bareTeardown(bareStep{
				Name: "stuck", Timeout: 300 * time.Millisecond,
				Close: func(context.Context, *bareRefs) error { <-release; return nil },
			})
			x := new(bare)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			seen[td.Close(ctx, &x.guard, x).Error()]++
		})
	}
	assert.Equal(t, map[string]int{
		"cleanup regression.bare: 1 step did not succeed: stuck: abandoned after " +
			(200*time.Millisecond + runtime.Grace).String() + ": cleanup deadline exceeded": rounds,
	}, seen)
}

// A step's context has one cause at the deadline: a step that returns
// context.Cause(ctx) when a caller's deadline (equal to the teardown's)
// comes must time out with the caller's cause, as when that deadline had passed
// before Close (context deadline exceeded), every time. The
// parent's timer and a teardown timer of its own at the same instant used
// to race, and the step saw either cause.
func TestRegressionStepSeesOneDeadlineCause(t *testing.T) {
	seen := make(map[string]int)
	const rounds = 50
	for range rounds {
		synctest.Test(t, func(t *testing.T) {
			td := bareTeardown(bareStep{
				Name:  "polite",
				Close: func(ctx context.Context, _ *bareRefs) error { <-ctx.Done(); return context.Cause(ctx) },
			})
			x := new(bare)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			seen[td.Close(ctx, &x.guard, x).Error()]++
		})
	}
	assert.Equal(t, map[string]int{
		"cleanup regression.bare: 1 step did not succeed: polite: timed out after 200ms: context deadline exceeded": rounds,
	}, seen)
}

// A step that starts late (its phase begins after the deadline) and has a
// Force must be released: SPEC §3.3 starts late steps "so their resources
// are released", and force= is what releases a resource whose graceful call
// ignores its context (GracefulStop force=Stop on a *grpc.Server). A late
// step used to be forced only when its graceful call returned an error; one
// that blocked was never forced, stayed in Abandoned forever and its server
// was never stopped.
func TestRegressionLateStepIsForced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{})
		defer close(stuck)
		srv := NewServer() // Shutdown ignores ctx and returns only at Close
		defer srv.Close()
		td := bareTeardown(
			bareStep{
				Name: "stuck", Phase: 0,
				Close: func(context.Context, *bareRefs) error { <-stuck; return nil },
			},
			bareStep{
				Name: "srv", Phase: 1,
				Close: func(ctx context.Context, _ *bareRefs) error { return srv.Shutdown(ctx) },
				Force: func(context.Context, *bareRefs) error { return srv.Close() },
			},
		)
		x := new(bare)
		start := time.Now()
		err := td.Close(context.Background(), &x.guard, x)
		assert.Equal(t, time.Second+runtime.Grace, time.Since(start))
		t.Log(err)
		synctest.Wait()
		assert.Equal(t, 1, srv.Shutdowns(), "the late step was started")
		assert.Equal(t, 1, srv.Closes(), "the late step was never forced: the server is never released")
		assert.Equal(t, []string{"stuck"}, abandonedSteps("regression.bare"), "only the stuck step is still running")
	})
}
