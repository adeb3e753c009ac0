package resourcecleanup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
)

const ms = time.Millisecond

// step is the varying step of a MatrixClient.
type step int

const (
	succeeds step = iota
	hangs
	panics
	fails
	ignoresCtx // sleeps 2s whatever its context says
	slowWithin // 100ms, within the step's 300ms budget
	slowPast   // 500ms honouring its context: its budget cuts it short
	needsForce // Shutdown returns only once Close is called
	numSteps   // not a step: the number of steps
)

var stepNames = [...]string{"succeeds", "hangs", "panics", "fails", "ignores ctx", "slow within budget", "slow past budget", "needs force"}

func (s step) String() string { return stepNames[s] }

// ctxState is the context CloseContext gets.
type ctxState int

const (
	background ctxState = iota // Close(): the client's 1s timeout
	deadline                   // a 200ms deadline, before the step's 300ms budget
	expired                    // a deadline already past
	cancelled                  // cancelled before the call
)

var ctxNames = [...]string{"background", "deadline 200ms", "expired", "cancelled"}

func (c ctxState) String() string { return ctxNames[c] }

var allCtx = []ctxState{background, deadline, expired, cancelled}

// release is when the test itself releases what still hangs: a hanging
// Close, and a Server that needs force (by calling its Close).
const release = 3 * time.Second

// matrixCell is one cell, or several identical cells, of the fault matrix.
type matrixCell struct {
	step      step
	ctxs      []ctxState
	deadlines bool

	elapsed   time.Duration // how long CloseContext takes, exactly (fake time)
	tasks     []string      // the CleanupError's steps, as TaskResult.String; nil for a nil error
	abandoned []string      // steps listed by Abandoned once Close has returned and the bubble is idle
	deadline  bool          // errors.Is(err, context.DeadlineExceeded)
}

func on(s step, ctxs ...ctxState) matrixCell  { return matrixCell{step: s, ctxs: ctxs, deadlines: true} }
func off(s step, ctxs ...ctxState) matrixCell { return matrixCell{step: s, ctxs: ctxs} }

func (c matrixCell) took(d time.Duration) matrixCell { c.elapsed = d; return c }
func (c matrixCell) failing(tasks ...string) matrixCell {
	c.tasks = tasks
	return c
}
func (c matrixCell) stillRunning(steps ...string) matrixCell { c.abandoned = steps; return c }
func (c matrixCell) cutShort() matrixCell                    { c.deadline = true; return c }

// task is how TaskResult.String prints a step that did not succeed.
func task(name, state string, d time.Duration, err string) string {
	return fmt.Sprintf("%s: %s after %v: %s", name, state, d, err)
}

// notStarted is a step the deadline came before: it had no time, it did not
// hang.
func notStarted(name string) string {
	return name + ": not started by the deadline"
}

// Causes of a step that did not succeed.
const (
	budgetExceeded   = "step budget exceeded"      // the step's own budget (timeout=, or force's reserve) ran out
	deadlineExceeded = "cleanup deadline exceeded" // the deadline came: Close's own or ctx's, both reported as one
	canceled         = "context canceled"          // ctx was cancelled

	// ctxDeadlineExceeded is what a step that returns context.Cause(ctx)
	// returns when the caller's deadline ended its context.
	ctxDeadlineExceeded = "context deadline exceeded"
)

// The cells. MatrixClient: timeout=1s; res (or srv) in phase 2 with a 300ms
// budget; after, which succeeds at once, in phase 3.
var matrix = []matrixCell{
	// Deadlines on, Close(): the deadline is 1s away, the step's budget
	// 300ms.
	on(succeeds, background).took(0),
	// A step still running when its budget runs out gets Grace to return;
	// then its phase moves on, and it is abandoned when Close returns.
	on(hangs, background).took(300*ms + runtime.Grace).
		failing(task("res", "abandoned", 300*ms+runtime.Grace, budgetExceeded)).stillRunning("res").cutShort(),
	on(panics, background).took(0).failing(task("res", "panicked", 0, "panic: boom")),
	on(fails, background).took(0).failing(task("res", "failed", 0, "boom")),
	on(ignoresCtx, background).took(300*ms + runtime.Grace).
		failing(task("res", "abandoned", 300*ms+runtime.Grace, budgetExceeded)).stillRunning("res").cutShort(),
	on(slowWithin, background).took(100 * ms),
	// It returns the moment its budget runs out, within Grace: timed out,
	// with the error it returned, and not abandoned.
	on(slowPast, background).took(300 * ms).failing(task("res", "timed out", 300*ms, budgetExceeded)).cutShort(),
	// A quarter of the 1s is kept for force, but the 300ms budget comes first.
	on(needsForce, background).took(300 * ms),

	// Deadlines on, a 200ms deadline: it comes before the step's budget.
	on(succeeds, deadline).took(0),
	on(hangs, deadline).took(200*ms+runtime.Grace).
		failing(task("res", "abandoned", 200*ms+runtime.Grace, deadlineExceeded), notStarted("after")).
		stillRunning("res").cutShort(),
	on(panics, deadline).took(0).failing(task("res", "panicked", 0, "panic: boom")),
	on(fails, deadline).took(0).failing(task("res", "failed", 0, "boom")),
	on(ignoresCtx, deadline).took(200*ms+runtime.Grace).
		failing(task("res", "abandoned", 200*ms+runtime.Grace, deadlineExceeded), notStarted("after")).
		stillRunning("res").cutShort(),
	on(slowWithin, deadline).took(100 * ms),
	// Its 300ms budget is past the deadline, so it is the deadline's: the
	// step ends on the deadline and returns its context's cause within
	// Grace, reported as it ended.
	on(slowPast, deadline).took(200 * ms).failing(task("res", "timed out", 200*ms, ctxDeadlineExceeded)).cutShort(),
	// Force is called when a quarter of the 200ms remains.
	on(needsForce, deadline).took(150 * ms),

	// Deadlines on, a context already expired: every step still starts, so
	// that its resource is released, and Close returns after Grace.
	on(succeeds, expired).took(0),
	on(hangs, expired).took(runtime.Grace).
		failing(task("res", "abandoned", runtime.Grace, deadlineExceeded), notStarted("after")).
		stillRunning("res").cutShort(),
	on(panics, expired).took(0).failing(task("res", "panicked", 0, "panic: boom")),
	on(fails, expired).took(0).failing(task("res", "failed", 0, "boom")),
	on(ignoresCtx, expired).took(runtime.Grace).
		failing(task("res", "abandoned", runtime.Grace, deadlineExceeded), notStarted("after")).
		stillRunning("res").cutShort(),
	on(slowWithin, expired).took(0).failing(task("res", "timed out", 0, ctxDeadlineExceeded)).cutShort(),
	on(slowPast, expired).took(0).failing(task("res", "timed out", 0, ctxDeadlineExceeded)).cutShort(),
	// No time is left for a budget: the graceful call gets Grace, like any
	// step, and the step still stuck then is abandoned and forced, which
	// releases it (so Abandoned no longer lists it).
	on(needsForce, expired).took(runtime.Grace).
		failing(task("srv", "abandoned", runtime.Grace, deadlineExceeded), notStarted("after")).
		cutShort(),

	// Deadlines on, a cancelled context: as expired, but the cause is
	// context.Canceled, not a deadline.
	on(succeeds, cancelled).took(0),
	on(hangs, cancelled).took(runtime.Grace).
		failing(task("res", "abandoned", runtime.Grace, canceled), notStarted("after")).
		stillRunning("res"),
	on(panics, cancelled).took(0).failing(task("res", "panicked", 0, "panic: boom")),
	on(fails, cancelled).took(0).failing(task("res", "failed", 0, "boom")),
	on(ignoresCtx, cancelled).took(runtime.Grace).
		failing(task("res", "abandoned", runtime.Grace, canceled), notStarted("after")).
		stillRunning("res"),
	on(slowWithin, cancelled).took(0).failing(task("res", "failed", 0, canceled)),
	on(slowPast, cancelled).took(0).failing(task("res", "failed", 0, canceled)),
	on(needsForce, cancelled).took(runtime.Grace).
		failing(task("srv", "abandoned", runtime.Grace, canceled), notStarted("after")),

	// Deadlines off (the rollback flag): the context and every budget are
	// ignored, and Close waits for its steps, however long; the hanging
	// ones until the test releases them. Errors are still reported.
	off(succeeds, allCtx...).took(0),
	off(hangs, allCtx...).took(release),
	off(panics, allCtx...).took(0).failing(task("res", "panicked", 0, "panic: boom")),
	off(fails, allCtx...).took(0).failing(task("res", "failed", 0, "boom")),
	off(ignoresCtx, allCtx...).took(2 * time.Second),
	off(slowWithin, allCtx...).took(100 * ms),
	off(slowPast, allCtx...).took(500 * ms),
	off(needsForce, allCtx...).took(release),
}

func TestFaultMatrix(t *testing.T) {
	// Every step × context × flag combination has a cell.
	seen := make(map[string]bool)
	for _, c := range matrix {
		for _, x := range c.ctxs {
			name := cellName(c.step, x, c.deadlines)
			require.False(t, seen[name], "two cells for %s", name)
			seen[name] = true
		}
	}
	require.Len(t, seen, int(numSteps)*len(allCtx)*2, "the matrix is missing cells")

	for _, c := range matrix {
		for _, x := range c.ctxs {
			t.Run(cellName(c.step, x, c.deadlines), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) { runCell(t, c, x) })
			})
		}
	}
}

func cellName(s step, c ctxState, deadlines bool) string {
	flag := "deadlines on"
	if !deadlines {
		flag = "deadlines off"
	}
	return fmt.Sprintf("%s/%s/%s", flag, s, c)
}

func runCell(t *testing.T, c matrixCell, x ctxState) {
	// The bubble's goroutines are its own, but SetDeadlines is
	// process-wide: the matrix does not run in parallel.
	t.Cleanup(runtime.SetDeadlines(c.deadlines))

	var res *Resource
	var srv *Server
	switch c.step {
	case succeeds:
		res = NewResource(Succeed, 0)
	case hangs:
		res = NewResource(Hang, 0)
	case panics:
		res = NewResource(Panic, 0)
	case fails:
		res = NewResource(Fail, 0)
	case ignoresCtx:
		res = NewResource(IgnoreContext, 2*time.Second)
	case slowWithin:
		res = NewResource(Slow, 100*ms)
	case slowPast:
		res = NewResource(Slow, 500*ms)
	case needsForce:
		srv = NewServer()
	}
	after := NewResource(Succeed, 0)
	client := NewMatrixClient(res, srv, after)
	name := "res"
	if srv != nil {
		name = "srv"
	}

	ctx := context.Background()
	var bound time.Duration // when the contract says Close returns at the latest
	switch x {
	case background:
		bound = time.Second + runtime.Grace
	case deadline:
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, 200*ms)
		t.Cleanup(cancel)
		bound = 200*ms + runtime.Grace
	case expired:
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Now().Add(-time.Second))
		t.Cleanup(cancel)
		bound = runtime.Grace
	case cancelled:
		var cancel context.CancelFunc
		ctx, cancel = context.WithCancel(ctx)
		cancel()
		bound = runtime.Grace
	}
	if !c.deadlines {
		bound = release
	}
	// With deadlines off nothing but the test ends a hang.
	time.AfterFunc(release, func() {
		if res != nil {
			res.Release()
		}
		if srv != nil && srv.Closes() == 0 {
			_ = srv.Close()
		}
	})

	start := time.Now()
	err := client.CloseContext(ctx)
	elapsed := time.Since(start)
	synctest.Wait() // the late steps run, forced graceful calls return
	stillRunning := abandonedSteps("resourcecleanup.MatrixClient")
	t.Logf("after %v: %v", elapsed, err)

	assert.LessOrEqual(t, elapsed, bound, "Close returned after the contract's bound")
	assert.Equal(t, 1, after.Calls(), "the step after the faulty one was not started")
	assert.Equal(t, c.elapsed, elapsed, "CloseContext's duration")
	checkReport(t, err, c.tasks)
	assert.Equal(t, c.deadline, errors.Is(err, context.DeadlineExceeded), "errors.Is(err, context.DeadlineExceeded)")
	if c.step == panics || c.step == fails {
		assert.ErrorIs(t, err, ErrBoom)
	}
	assert.Equal(t, c.abandoned, stillRunning, "Abandoned() once Close has returned")
	if srv != nil && c.deadlines {
		assert.Equal(t, 1, srv.Closes(), "the server was not forced")
	}
	// after starts with an expired context when the deadline came first.
	lateAfter := c.deadlines && (x == expired || x == cancelled ||
		x == deadline && (c.step == hangs || c.step == ignoresCtx || c.step == slowPast))
	assert.Equal(t, lateAfter, after.CalledDone(), "after's context was done as it started")

	// Once released, every step returns and leaves Abandoned.
	time.Sleep(release)
	synctest.Wait()
	assert.Empty(t, abandonedSteps("resourcecleanup.MatrixClient"), "Abandoned() once everything was released")
	if res != nil {
		assert.Equal(t, 1, res.Calls(), "%s called", name)
		assert.Equal(t, 1, res.Returned(), "%s returned", name)
	}
	if srv != nil {
		assert.Equal(t, 1, srv.Shutdowns())
		assert.Positive(t, srv.Closes())
	}
}

// checkReport checks that err is nil when tasks is, and otherwise a
// *runtime.CleanupError for MatrixClient whose steps print as tasks.
func checkReport(t *testing.T, err error, tasks []string) {
	t.Helper()
	if tasks == nil {
		assert.NoError(t, err)
		return
	}
	var ce *runtime.CleanupError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "resourcecleanup.MatrixClient", ce.Type)
	got := make([]string, len(ce.Tasks))
	for i, task := range ce.Tasks {
		got[i] = task.String()
	}
	assert.Equal(t, tasks, got)
	head := "1 step did not succeed: "
	if len(tasks) > 1 {
		head = fmt.Sprintf("%d steps did not succeed: ", len(tasks))
	}
	assert.Equal(t, "cleanup resourcecleanup.MatrixClient: "+head+strings.Join(tasks, "; "), err.Error())
}

// abandonedSteps returns the steps of client that runtime.Abandoned lists,
// or nil; Abandoned is process-wide.
func abandonedSteps(client string) []string {
	var steps []string
	for _, a := range runtime.Abandoned() {
		if a.Client == client {
			steps = append(steps, a.Step)
		}
	}
	return steps
}
