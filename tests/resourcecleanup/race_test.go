package resourcecleanup

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// TestRaceCallsAndCloses runs, on many clients, many goroutines calling a
// method that enters the guard and reads every managed field while several
// goroutines call Close. Run with -race: the detector sees any reference
// dropped under a call in flight. Every call succeeds or gets
// runtime.ErrClosed, every Close returns nil (the first one's result: every
// resource succeeds, far from the deadline), and each resource is closed
// exactly once.
func TestRaceCallsAndCloses(t *testing.T) {
	const clients = 200
	var ok, closed int
	for range clients {
		o, c, errs := raceRound(t)
		ok, closed = ok+o, closed+c
		for _, err := range errs {
			t.Errorf("unexpected error: %v", err)
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d calls succeeded, %d got ErrClosed", ok, closed)
	assert.Equal(t, clients*raceCallers, closed, "every caller ends with ErrClosed")
}

const (
	raceCallers = 16 // per client
	raceClosers = 4  // per client
)

// raceRound runs raceCallers goroutines that call Use until it returns
// ErrClosed, and raceClosers that call Close, on one client. It checks what
// holds after, and returns the calls that succeeded, the callers that got
// ErrClosed, and every other error.
func raceRound(t *testing.T) (ok, closed int, errs []error) {
	c := NewRaceClient()
	resources := c.Resources()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var nOK, nClosed atomic.Int64
	unexpected := make(chan error, raceCallers+raceClosers)
	for range raceCallers {
		wg.Go(func() {
			<-start
			for {
				err := c.Use()
				switch {
				case err == nil:
					nOK.Add(1)
				case errors.Is(err, runtime.ErrClosed):
					nClosed.Add(1)
					return
				default:
					unexpected <- err
					return
				}
			}
		})
	}
	for range raceClosers {
		wg.Go(func() {
			<-start
			if err := c.Close(); err != nil {
				unexpected <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(unexpected)
	for err := range unexpected {
		errs = append(errs, err)
	}
	// No call can run any more: the references are dropped.
	assert.True(t, c.Dropped(), "references left after Close")
	assert.ErrorIs(t, c.Use(), runtime.ErrClosed)
	for _, r := range resources {
		assert.Equal(t, 1, r.Calls(), "a resource was not closed exactly once")
	}
	return int(nOK.Load()), int(nClosed.Load()), errs
}

// TestRaceCallOutlivesDeadline keeps a call in flight past Close's deadline:
// Close returns by its deadline and names the calls in flight, the call
// still sees every field, and the references are dropped at its Leave.
func TestRaceCallOutlivesDeadline(t *testing.T) {
	for _, deadlines := range []bool{true, false} {
		name := map[bool]string{true: "deadlines on", false: "deadlines off"}[deadlines]
		t.Run(name, func(t *testing.T) {
			t.Cleanup(runtime.SetDeadlines(deadlines))
			c := NewRaceClient()
			entered, release := make(chan struct{}), make(chan struct{})
			held := make(chan error, 1)
			go func() { held <- c.Hold(entered, release) }()
			<-entered

			const timeout = 100 * time.Millisecond
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			defer cancel()
			start := time.Now()
			err := c.CloseContext(ctx)
			elapsed := time.Since(start)
			t.Logf("after %v: %v", elapsed, err)
			if deadlines {
				assert.Less(t, elapsed, timeout+slack)
				var ce *runtime.CleanupError
				require.ErrorAs(t, err, &ce)
				require.Len(t, ce.Tasks, 1)
				assert.Equal(t, "calls in flight", ce.Tasks[0].Name)
				assert.Equal(t, runtime.StateAbandoned, ce.Tasks[0].State)
				assert.ErrorIs(t, err, context.DeadlineExceeded)
			} else {
				// The rollback flag: the steps run to their end, and the
				// references are dropped at the last Leave; Close does not
				// wait for it.
				assert.NoError(t, err)
			}
			assert.ErrorIs(t, c.Use(), runtime.ErrClosed, "a new call after Close")

			close(release)
			assert.NoError(t, <-held, "the call in flight")
			// Hold has returned, so its Leave, which drops the references,
			// happened before.
			assert.True(t, c.Dropped(), "references left after the last Leave")
		})
	}
}
