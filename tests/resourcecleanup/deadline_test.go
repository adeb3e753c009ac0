package resourcecleanup

// Tests of what runs around the steps: log handlers, errors, contexts,
// cycles of clients and large collections must never delay a Close past
// its deadline plus runtime.Grace.

import (
	"bytes"
	"context"
	"errors"
	"log"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
)

var errBoom = errors.New("boom")

// useLogOutput makes the process's default slog logger the default again,
// writing to w through the log package, for the rest of the test.
func useLogOutput(t *testing.T, w interface{ Write([]byte) (int, error) }) {
	prev := slog.Default()
	prevOut, prevFlags := log.Writer(), log.Flags()
	slog.SetDefault(processLogger)
	log.SetOutput(w)
	log.SetFlags(0)
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
}

// useHandler makes h the default slog handler for the rest of the test.
func useHandler(t *testing.T, h slog.Handler) {
	prev := slog.Default()
	prevOut, prevFlags := log.Writer(), log.Flags()
	slog.SetDefault(slog.New(h))
	// Restoring the default logger leaves the log package writing to h:
	// restore its output too.
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
}

// settleEvents waits for the steps and events of earlier tests to end, so
// that no delivery goroutine from outside the next synctest bubble calls
// its handlers.
func settleEvents(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(runtime.Abandoned()) > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond) // a step of an earlier test may still return, and report it
	}
	require.NoError(t, runtime.Flush(ctx))
}

// blockingWriter blocks every Write until release is closed, as a full
// stderr pipe does.
type blockingWriter struct{ release chan struct{} }

func (w blockingWriter) Write(p []byte) (int, error) { <-w.release; return len(p), nil }

// slowWriter takes d for every Write.
type slowWriter struct{ d time.Duration }

func (w slowWriter) Write(p []byte) (int, error) { time.Sleep(w.d); return len(p), nil }

// lockedBuffer is a bytes.Buffer safe for the delivery goroutine and the
// test to share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// failingAndStuck returns a client with a failing step, and a stuck one
// that returns when release is closed.
func failingAndStuck(timeout time.Duration, release <-chan struct{}) *handClient {
	return newHand("deadline.Client", timeout,
		handStep{Name: "fails", Close: func(context.Context) error { return errBoom }},
		handStep{Name: "stuck", Close: func(context.Context) error { <-release; return nil }},
	)
}

func TestDeadlineLogWriterBlocks(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useLogOutput(t, blockingWriter{release})

		start := time.Now()
		err := failingAndStuck(50*time.Millisecond, release).Close()
		assert.Equal(t, 50*time.Millisecond+runtime.Grace, time.Since(start), "the default handler's writer blocks: no matter")
		assert.ErrorIs(t, err, errBoom)

		start = time.Now()
		err = newHand("deadline.Fails", time.Second, handStep{Name: "fails", Close: func(context.Context) error { return errBoom }}).Close()
		assert.Zero(t, time.Since(start), "a failing step returns at once, its log event waits")
		assert.ErrorIs(t, err, errBoom)
		close(release)
	})
}

func TestDeadlineLogWriterSlow(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useLogOutput(t, slowWriter{time.Second})
		start := time.Now()
		_ = failingAndStuck(50*time.Millisecond, release).Close()
		assert.Equal(t, 50*time.Millisecond+runtime.Grace, time.Since(start), "a second per record does not delay Close")
		close(release)
		// The records take a second each of the bubble's time: let the
		// stuck step return and queue its record, and wait for all of them
		// here. Otherwise the cleanup that restores the log output waits
		// for the log package's lock, which the sleeping writer holds; a
		// goroutine waiting for a mutex is not durably blocked, so the
		// bubble's clock never moves and the writer never wakes.
		synctest.Wait()
		require.NoError(t, runtime.Flush(context.Background()))
	})
}

// blockingError is an error whose Error method blocks until release is
// closed: the default handler formats it.
type blockingError struct{ release chan struct{} }

func (e blockingError) Error() string { <-e.release; return "blocking" }

func TestDeadlineStepErrorBlocks(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useLogOutput(t, &lockedBuffer{})
		c := newHand("deadline.Client", 50*time.Millisecond,
			handStep{Name: "fails", Close: func(context.Context) error { return blockingError{release} }},
		)
		start := time.Now()
		err := c.Close()
		assert.Zero(t, time.Since(start), "Close never formats a step's error")
		assert.ErrorAs(t, err, new(blockingError))
		close(release)
	})
}

// panicHandler panics in every call of Handle.
type panicHandler struct{ slog.Handler }

func (panicHandler) Handle(context.Context, slog.Record) error { panic("handler panicked") }

func TestDeadlineLogHandlerPanics(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useHandler(t, panicHandler{slog.NewTextHandler(&lockedBuffer{}, nil)})
		c := failingAndStuck(50*time.Millisecond, release)
		start := time.Now()
		err := c.Close()
		assert.Equal(t, 50*time.Millisecond+runtime.Grace, time.Since(start))
		assert.ErrorIs(t, err, errBoom)
		synctest.Wait() // the handler has panicked, and been recovered
		assert.Same(t, err, c.Close(), "a second Close returns the first one's result")

		// Delivery goes on after a panic.
		var buf lockedBuffer
		useHandler(t, slog.NewTextHandler(&buf, nil))
		_ = newHand("deadline.After", time.Second, handStep{Name: "fails", Close: func(context.Context) error { return errBoom }}).Close()
		synctest.Wait()
		assert.Contains(t, buf.String(), "cleanupgen.client=deadline.After cleanupgen.teardown.id=")
		assert.Contains(t, buf.String(), "cleanupgen.step=fails cleanupgen.phase=0 cleanupgen.state=failed")
		close(release)
	})
}

func TestDeadlineEventsDroppedAreCounted(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var buf lockedBuffer
		useHandler(t, slog.NewTextHandler(&gatedWriter{release: release, w: &buf}, nil))
		fails := func() error {
			return newHand("deadline.Fails", time.Second, handStep{Name: "fails", Close: func(context.Context) error { return errBoom }}).Close()
		}
		require.Error(t, fails())
		synctest.Wait()                     // delivery is blocked in the handler with the first event
		const queued, dropped = 1 << 14, 75 // the runtime queues 16,384 events
		for range queued + dropped {
			require.Error(t, fails(), "no Close waits for a blocked handler")
		}
		close(release)
		synctest.Wait()
		out := buf.String()
		assert.Contains(t, out, `msg="cleanup events dropped: the log handler or an observer is slow" cleanupgen.dropped=75`)
		assert.Equal(t, 1+queued, strings.Count(out, "cleanupgen.step=fails cleanupgen.phase=0 cleanupgen.state=failed"), "every queued event is delivered")
	})
}

// gatedWriter writes to w once release is closed.
type gatedWriter struct {
	release chan struct{}
	w       *lockedBuffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	<-g.release
	return g.w.Write(p)
}

func TestDeadlineManagerWaitWithBlockedLog(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useLogOutput(t, blockingWriter{release})
		m := runtime.NewManager(context.Background(), 50*time.Millisecond)
		m.Go("fails", func(context.Context) error { return errBoom })
		m.Go("stuck", func(context.Context) error { <-release; return nil })
		start := time.Now()
		err := m.Wait()
		assert.Equal(t, 50*time.Millisecond+runtime.Grace, time.Since(start))
		assert.ErrorIs(t, err, errBoom)
		close(release)
	})
}

// lyingContext reports a deadline its Done never honours.
type lyingContext struct {
	context.Context
	deadline time.Time
}

func (c lyingContext) Deadline() (time.Time, bool) { return c.deadline, true }

func TestDeadlineContextThatDoesNotHonourItsDeadline(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		ctx := lyingContext{context.Background(), time.Now().Add(100 * time.Millisecond)}
		start := time.Now()
		err := failingAndStuck(time.Minute, release).CloseContext(ctx)
		assert.Equal(t, 100*time.Millisecond+runtime.Grace, time.Since(start), "the reported deadline gets a timer of the runtime's own")
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestDeadlineCycleOfClients(t *testing.T) {
	for _, first := range []string{"parent", "child"} {
		t.Run(first+" first", func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				parent := newHand("deadline.Parent", time.Second, handStep{Name: "other"})
				child := newHand("deadline.Child", time.Second, handStep{Name: "other"})
				parent.other, child.other = child, parent // a back-pointer
				start := time.Now()
				closeFirst := map[string]*handClient{"parent": parent, "child": child}[first]
				require.NoError(t, closeFirst.Close(), "a close reached again from its own teardown returns at once")
				assert.Zero(t, time.Since(start))
				<-parent.guard.Done()
				<-child.guard.Done()
				assert.NoError(t, parent.Close())
				assert.NoError(t, child.Close())
			})
		})
	}
}

func TestDeadlineLateStepsListedAfterGrace(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		useLogOutput(t, &lockedBuffer{})
		c := newHand("deadline.Late", 100*time.Millisecond,
			handStep{Name: "stuck", Close: func(context.Context) error { <-release; return nil }},
			handStep{Name: "late", Phase: 1, Close: func(context.Context) error { <-release; return nil }},
		)
		start := time.Now()
		err := c.Close()
		var ce *runtime.CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 2)
		assert.Equal(t, runtime.StateAbandoned, ce.Tasks[0].State)
		assert.Equal(t, runtime.StateNotStarted, ce.Tasks[1].State)
		listed := runtime.Abandoned()
		require.Len(t, listed, 1, "a late step is not listed while it may still return in Grace")
		assert.NotZero(t, listed[0].Teardown)
		assert.Equal(t, []runtime.AbandonedTask{{Teardown: listed[0].Teardown, Client: "deadline.Late", Step: "stuck", Started: start}}, listed)
		time.Sleep(runtime.Grace)
		got := runtime.Abandoned()
		require.Len(t, got, 2)
		assert.Equal(t, "late", got[1].Step, "still running Grace after its start")
		close(release)
		synctest.Wait()
		assert.Empty(t, runtime.Abandoned())
	})
}

// collectionTimeout is the deadline of the real-time collection tests, and
// collectionSlack what they allow past it: the run's goroutines start
// thousands of goroutines on two cores while the caller waits for its
// timer, under -race, beside the other packages' tests (300 ms was once
// exceeded by 2 ms with six copies of this package running at once). Work
// on the caller's path that grows with the elements made this Close
// seconds late under -race; the benchmarks measure the 100,000-element
// case without -race (docs/performance.md).
const (
	collectionSize    = 20_000
	collectionTimeout = 300 * time.Millisecond
	collectionSlack   = time.Second
)

func TestDeadlineLargeCollectionAllInstant(t *testing.T) {
	c := newHand("deadline.Many", 10*time.Second,
		handStep{Name: "items", N: collectionSize, Elem: func(context.Context, int) error { return nil }})
	require.NoError(t, c.Close(), "elements that close at once are reported ok")
}

func TestDeadlineLargeCollectionAllHung(t *testing.T) {
	release := make(chan struct{})
	c := newHand("deadline.Many", collectionTimeout,
		handStep{Name: "items", N: collectionSize, Elem: func(context.Context, int) error { <-release; return nil }},
		handStep{Name: "more", Phase: 1, N: collectionSize, Elem: func(context.Context, int) error { return nil }},
	)
	start := time.Now()
	err := c.Close()
	elapsed := time.Since(start)
	close(release)
	assert.Less(t, elapsed, collectionTimeout+collectionSlack, "returns by its deadline plus slack")
	var ce *runtime.CleanupError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Tasks, collectionSize+1, "every hung element, and the late collection as one step")
	assert.Equal(t, "items[0]", ce.Tasks[0].Name)
	assert.Equal(t, runtime.TaskResult{Name: "more", State: runtime.StateNotStarted, Err: ce.Tasks[collectionSize].Err}, ce.Tasks[collectionSize])
	require.Eventually(t, func() bool { return len(runtime.Abandoned()) == 0 }, 10*time.Second, 10*time.Millisecond)
}

func TestDeadlineMapKeysNamedWithoutTheirMethods(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		useLogOutput(t, &lockedBuffer{})
		stuck := NewResource(Hang, 0)
		defer stuck.Release()
		c := NewKeyedClient(NewResource(Succeed, 0), stuck)
		start := time.Now()
		err := c.Close()
		assert.Equal(t, 100*time.Millisecond+runtime.Grace, time.Since(start), "StuckKey.String is never called")
		var ce *runtime.CleanupError
		require.ErrorAs(t, err, &ce)
		require.Len(t, ce.Tasks, 1)
		assert.Equal(t, "byKey[{1}]", ce.Tasks[0].Name)
		assert.Equal(t, runtime.StateAbandoned, ce.Tasks[0].State)
	})
}
