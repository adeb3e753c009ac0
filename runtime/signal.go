package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// ErrInterrupted is wrapped by the error [CloseOnSignal] returns when a
// second signal cut the close short.
var ErrInterrupted = errors.New("cleanup interrupted")

// interruptWait bounds how long CloseOnSignal waits, after the second
// signal, for CloseContext to return. A generated CloseContext returns within
// Grace of its context's cancellation; a hand-written one may not return at
// all.
const interruptWait = 100 * time.Millisecond

// flushWait bounds how long CloseOnSignal waits, after the close, for the
// runtime's events to be delivered.
const flushWait = time.Second

// testHookNotified, when not nil, is called by CloseOnSignal once it catches
// its signals, so that tests know when sending one is safe.
var testHookNotified func()

// CloseOnSignal shuts a process down: it is what a main function calls
// once its servers and clients run, with c the process as a client (a
// //cleanup:client struct whose fields are those servers and clients).
//
// In order, CloseOnSignal:
//
//  1. Catches sigs (SIGINT and SIGTERM when none are given) with
//     [signal.Notify], so that they no longer end the process.
//  2. Waits until ctx is done or the process receives one of sigs.
//  3. Calls c.CloseContext, in a goroutine of its own, with a context that
//     carries ctx's values, not its cancellation, and a deadline of grace
//     from then. A grace of zero or less gives an expired context. Pick
//     grace a few seconds short of the time the process is given to stop,
//     such as Kubernetes' terminationGracePeriodSeconds, so that it has time
//     to report before it is killed.
//  4. Waits up to a second for the runtime's log records and observer calls
//     of the close to be delivered ([Flush]), so that a process that exits
//     on return keeps them; a signal ends that wait.
//  5. Returns c.CloseContext's result: nil after a clean close, and for a
//     generated client a *[CleanupError] that names each step that failed or
//     was abandoned at the deadline.
//
// If one of sigs arrives while c.CloseContext runs (a second signal, or the
// first when ctx started the close; a signal that ended ctx, as with
// [signal.NotifyContext], does not count), CloseOnSignal cancels the close's
// context with ErrInterrupted as its cause and returns at once with an error
// for which errors.Is(err, ErrInterrupted) holds. A generated CloseContext
// returns within [Grace] of that cancellation, reporting the steps still
// running as abandoned, with ErrInterrupted as their error: the error
// returned wraps its result, and so names those steps. A CloseContext that
// has not returned within 100ms is left running in its goroutine, and the
// error says so.
//
// CloseOnSignal stops catching sigs ([signal.Stop]) when it returns: from
// then on they have their default effect again, unless other code catches
// them, so a third Ctrl-C ends a process that does not exit. A program
// usually exits right after, with a status that says how the close went.
func CloseOnSignal(ctx context.Context, c interface{ CloseContext(context.Context) error }, grace time.Duration, sigs ...os.Signal) error {
	if len(sigs) == 0 {
		sigs = []os.Signal{os.Interrupt, syscall.SIGTERM}
	}
	// Two slots: a second signal that comes before the first is received
	// is not lost.
	caught := make(chan os.Signal, 2)
	signal.Notify(caught, sigs...)
	defer signal.Stop(caught)
	if testHookNotified != nil {
		testHookNotified()
	}

	select {
	case <-ctx.Done():
		// One of sigs may have ended ctx (signal.NotifyContext), and been
		// sent to caught too: it is not a second signal. os/signal sends a
		// signal to every channel under the lock that Notify takes, so a
		// channel registered now receives only the signals that come
		// later.
		fresh := make(chan os.Signal, 2)
		signal.Notify(fresh, sigs...)
		signal.Stop(caught)
		caught = fresh
		defer signal.Stop(fresh)
	case <-caught:
	}

	cctx, interrupt := context.WithCancelCause(context.WithoutCancel(ctx))
	defer interrupt(nil)
	cctx, cancel := context.WithTimeout(cctx, grace)
	defer cancel()
	result := make(chan error, 1)
	go func() {
		// A hand-written CloseContext that panics or calls runtime.Goexit
		// must not crash the process, nor leave CloseOnSignal waiting.
		o := goexited
		defer func() { result <- o.err }()
		o = protect(func() error { return c.CloseContext(cctx) })
	}()

	select {
	case err := <-result:
		// The close's log records are delivered after the fact: keep them
		// from being lost to the exit that usually follows.
		fctx, cancel := context.WithTimeout(context.Background(), flushWait)
		defer cancel()
		go func() {
			select {
			case <-caught:
				cancel()
			case <-fctx.Done():
			}
		}()
		_ = Flush(fctx)
		return err
	case <-caught:
	}
	interrupt(ErrInterrupted)
	t := time.NewTimer(interruptWait)
	defer t.Stop()
	select {
	case err := <-result:
		if err == nil {
			// Every step had returned when the signal came.
			return fmt.Errorf("%w: the close had ended", ErrInterrupted)
		}
		return fmt.Errorf("%w: %w", ErrInterrupted, err)
	case <-t.C:
		return fmt.Errorf("%w: %T.CloseContext did not return within %v of the interruption; it goes on running", ErrInterrupted, c, interruptWait)
	}
}
