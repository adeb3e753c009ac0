package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// errGoexit is the error of a step that called runtime.Goexit (for example
// through testing.T.FailNow) instead of returning.
var errGoexit = errors.New("step called runtime.Goexit")

// errDeadline is the cause of a teardown context that reached its deadline.
// It matches context.DeadlineExceeded under errors.Is.
var errDeadline error = deadlineError{}

// errBudget is the error of a step whose own budget (Step.Timeout, or the
// time before its Force) ran out. It matches context.DeadlineExceeded too.
var errBudget error = budgetError{}

type deadlineError struct{}

func (deadlineError) Error() string        { return "cleanup deadline exceeded" }
func (deadlineError) Is(target error) bool { return target == context.DeadlineExceeded }

// goexited is the outcome of a step that called runtime.Goexit.
var goexited = outcome{err: errGoexit}

type budgetError struct{}

func (budgetError) Error() string        { return "step budget exceeded" }
func (budgetError) Is(target error) bool { return target == context.DeadlineExceeded }

// outcome is what running a step gave.
type outcome struct {
	err      error
	panicked bool
	// returned says the goroutine that ran the step got past it; see
	// run.goexited.
	returned bool
}

// protect calls fn and turns a panic into a *PanicError. If fn calls
// runtime.Goexit, protect does not return: callers record their result in a
// deferred call, starting from goexited.
//
// A panic with a nil value is a panic too: under GODEBUG=panicnil=1,
// recover returns nil for it, and fn has not returned.
func protect(fn func() error) (o outcome) {
	returned := false
	defer func() {
		if v := recover(); v != nil || !returned {
			o = panicked(v)
		}
	}()
	err := fn()
	returned = true
	return outcome{err: err}
}

// panicked returns the outcome of a call that panicked with v (nil under
// GODEBUG=panicnil=1, or when it called runtime.Goexit), with the stack of
// the goroutine that recovered it. Called from the deferred function that
// recovered.
func panicked(v any) outcome {
	return outcome{err: &PanicError{Value: v, Stack: debug.Stack()}, panicked: true}
}

// state returns the state of a step that returned within its budget.
func (o outcome) state() State {
	switch {
	case o.panicked:
		return StatePanicked
	case o.err != nil:
		return StateFailed
	}
	return StateOK
}

// Grace is how long a teardown waits, once its deadline has come, for steps
// that are returning because of it: a step that honours its context is
// reported with its own result, not as abandoned, and the caller returns at
// most Grace after the deadline.
const Grace = 250 * time.Microsecond

// graceWait waits for done for at most Grace.
//
//go:noinline
func graceWait(done <-chan struct{}) {
	t := time.NewTimer(Grace)
	select {
	case <-done:
	case <-t.C:
	}
	t.Stop()
}

// An expirer waits, once the deadline's timer has fired, for the context
// that carries the deadline to be done.
type expirer interface{ expired() }

// waitDeadline waits for done, for the deadline (left from now) plus Grace,
// or for ctx to be cancelled (plus Grace), whichever comes first. One timer
// covers the deadline and its Grace, so that the return is late by one
// timer's latency at most. Callers work out left from the monotonic clock
// alone: reading the wall clock too, as time.Until does, cost a Close 75 ns
// on a virtual machine.
//
// When the timer fires, the timer of the context that carries the deadline
// is due too, but the goroutine that cancels it may not have run yet:
// waitDeadline calls e.expired, which waits for it, so that what follows
// sees an expired context.
//
// Its frame is small, and so is the caller's stack while it waits: a
// goroutine that closes a client does not outgrow its first stack in here.
func waitDeadline(done <-chan struct{}, ctx context.Context, e expirer, left time.Duration) {
	t := time.NewTimer(min(max(left, 0), forever) + Grace)
	cancelled := ctx.Done()
	for {
		select {
		case <-done:
		case <-t.C:
			e.expired()
		case <-cancelled:
			if ctx.Err() == context.DeadlineExceeded {
				cancelled = nil // the deadline, which the timer covers
				continue
			}
			graceWait(done)
		}
		t.Stop()
		return
	}
}

// deadlineCause returns why ctx, a teardown's context, is done. Its own
// deadline and an equal deadline of its parent fire at the same instant, in
// either order: both are reported as errDeadline.
func deadlineCause(ctx context.Context) error {
	cause := context.Cause(ctx)
	if cause == context.DeadlineExceeded {
		return errDeadline
	}
	return cause
}

// forever is the longest budget a teardown keeps as a time: a timeout at
// or past it (math.MaxInt64 included) means no deadline. Kept as a time
// 146 years away, such a deadline never fires, and sums of it with Grace or
// a step's timeout cannot overflow.
const forever = time.Duration(1 << 62)

// teardownContext returns the context of a teardown that starts at start
// with the deadline deadlineOf gave: done at the deadline, or with ctx. It
// arms a timer of its own even when ctx's deadline is the earlier: a
// context's Deadline is only what it reports, and its Done may not honour
// it. Its cause is then context.DeadlineExceeded, as ctx's would be, so that
// whichever timer fires first the steps see the same cause; at its own
// deadline, it is errDeadline. When deadlines are off it has no deadline
// and ignores ctx's cancellation; with a deadline at forever, it has none
// either.
//
// It never asks ctx for its deadline again: a context whose Deadline
// changes from call to call would give the steps another deadline than the
// caller's.
func teardownContext(ctx context.Context, start, deadline time.Time, fromCtx, on bool) (context.Context, context.CancelFunc) {
	switch {
	case !on:
		return context.WithCancel(context.WithoutCancel(ctx))
	case endless(start, deadline):
		return context.WithCancel(ctx)
	case fromCtx:
		return context.WithDeadline(ownTimer{ctx}, deadline)
	}
	return context.WithDeadlineCause(ownTimer{ctx}, deadline, errDeadline)
}

// ownTimer hides its context's deadline from context.WithDeadline, which
// skips its own timer when the parent reports an earlier deadline, trusting
// the parent's Done to honour it: a context whose Deadline changes from
// call to call, or whose Done ignores it, would leave the steps' context
// never done, and the caller waiting for it at the deadline. Its Done, Err
// and Value are the context's own.
type ownTimer struct{ context.Context }

func (ownTimer) Deadline() (time.Time, bool) { return time.Time{}, false }

// deadlineOf returns the deadline of a teardown that starts at start with
// the budget timeout: the earlier of start plus timeout and ctx's deadline,
// and whether it is ctx's; the zero Time when deadlines are off. A timeout
// at or past forever counts as forever. It asks ctx for its deadline once.
func deadlineOf(ctx context.Context, start time.Time, timeout time.Duration, on bool) (deadline time.Time, fromCtx bool) {
	if !on {
		return time.Time{}, false
	}
	deadline = start.Add(min(timeout, forever))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		return d, true
	}
	return deadline, false
}

// endless reports whether a teardown that started at start with deadline
// has none in fact: its timeout saturated at forever.
func endless(start, deadline time.Time) bool {
	return !deadline.IsZero() && deadline.Sub(start) >= forever
}

// waitFirst waits for the teardown that g's first Close runs, within ctx
// and timeout, and returns its result. typ names the client in the error of
// a wait that gives up.
func waitFirst(ctx context.Context, g *Guard, typ string, timeout time.Duration) error {
	done := g.Done()
	if !DeadlinesEnabled() {
		<-done
		return g.result()
	}
	wctx, cancel := context.WithTimeoutCause(ctx, min(timeout, forever), errDeadline)
	defer cancel()
	select {
	case <-done:
		return g.result()
	case <-wctx.Done():
		select {
		case <-done:
			return g.result()
		default:
		}
		return fmt.Errorf("cleanup %s: waiting for the close already under way: %w", typ, context.Cause(wctx))
	}
}
