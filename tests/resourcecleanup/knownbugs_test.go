//go:build knownbugs

package resourcecleanup

// Minimal reproductions of the runtime bugs these tests found, written
// against runtime.Teardown by hand so that they need no generator. They fail
// today and are left out of CI: run them with
//
//	go test -tags knownbugs -run KnownBug ./tests/resourcecleanup

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type bare struct{ guard runtime.Guard }

type bareRefs struct{}

func bareTeardown(steps ...runtime.Step[bareRefs]) *runtime.Teardown[bare, bareRefs] {
	return &runtime.Teardown[bare, bareRefs]{
		Type:    "knownbugs.bare",
		Timeout: time.Second,
		Refs:    func(*bare) bareRefs { return bareRefs{} },
		Drop:    func(*bare) {},
		Steps:   steps,
	}
}

// Bug: between the Add(-1) of the last Leave (or of an Enter that bounces
// off the closed guard) and its markIdle taking Guard.mu, Guard.inFlight is
// false but the guard is not idle yet. Teardown.run, which polls inFlight,
// then skips its wait for calls in flight, finds the guard not idle, and
// reports "calls in flight: abandoned" with a nil error, although every
// call has left and the deadline is far away. Seen in
// TestRaceCallsAndCloses under -race in about one round in 8,000; this
// loop runs 20,000 rounds (about 30s under -race). A hand-written Teardown
// with no-op steps did not hit it in 2,000 rounds: the window needs steps
// that take a while, as RaceClient's have.
func TestKnownBugSpuriousCallsInFlight(t *testing.T) {
	for i := range 20_000 {
		_, _, errs := raceRound(t)
		for _, err := range errs {
			if !assert.False(t, isSpuriousCallsInFlight(err), "round %d: %v", i, err) {
				return
			}
		}
	}
}

// Bug: a step that honours its own budget (timeout=) and returns the moment
// it runs out is reported abandoned, not timed out, and listed by
// Abandoned, when nothing else keeps the teardown running: the step budget
// gets no Grace, unlike the overall deadline.
func TestKnownBugBudgetWithoutGrace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		td := bareTeardown(runtime.Step[bareRefs]{
			Name: "polite", Timeout: 300 * time.Millisecond,
			Close: func(ctx context.Context, _ *bareRefs) error { <-ctx.Done(); return context.Cause(ctx) },
		})
		x := new(bare)
		err := td.Close(context.Background(), &x.guard, x)
		var ce *runtime.CleanupError
		if assert.ErrorAs(t, err, &ce) {
			assert.Equal(t, runtime.StateTimedOut, ce.Tasks[0].State, "%v", err)
		}
	})
}

// Bug: when the deadline has passed (or ctx is cancelled) before a step with
// Force starts, Force is never called: the graceful call is abandoned and
// the resource is never released.
func TestKnownBugNoForceOnExpiredContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer()
		defer srv.Close()
		td := bareTeardown(runtime.Step[bareRefs]{
			Name: "srv", Timeout: 300 * time.Millisecond,
			Close: func(ctx context.Context, _ *bareRefs) error { return srv.Shutdown(ctx) },
			Force: func(context.Context, *bareRefs) error { return srv.Close() },
		})
		x := new(bare)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := td.Close(ctx, &x.guard, x)
		synctest.Wait()
		assert.Equal(t, 1, srv.Closes(), "force not called; Close returned %v", err)
	})
}

// Bug: a step budget clamped to the overall deadline (a step with
// timeout=300ms under a 200ms deadline) fires at the same instant as the
// deadline, and which timer runs first decides the result: "abandoned after
// 200ms: step budget exceeded", "abandoned after 201ms: cleanup deadline
// exceeded" (or "context deadline exceeded", the parent's cause), or "failed".
func TestKnownBugBudgetAtDeadlineIsNondeterministic(t *testing.T) {
	seen := make(map[string]int)
	for range 50 {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			td := bareTeardown(runtime.Step[bareRefs]{
				Name: "stuck", Timeout: 300 * time.Millisecond,
				Close: func(context.Context, *bareRefs) error { <-release; return nil },
			})
			x := new(bare)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			seen[td.Close(ctx, &x.guard, x).Error()]++
		})
	}
	assert.Len(t, seen, 1, "one teardown, several results: %v", seen)
}
