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
// runtime.ErrClosed, every Close returns the first one's result, and each
// resource is closed exactly once.
func TestRaceCallsAndCloses(t *testing.T) {
	const (
		clients = 200
		callers = 16 // per client
		closers = 4  // per client
	)
	var ok, closed atomic.Int64
	for range clients {
		c := NewRaceClient()
		resources := c.Resources()
		start := make(chan struct{})
		var wg sync.WaitGroup
		unexpected := make(chan error, callers+closers)
		for range callers {
			wg.Go(func() {
				<-start
				for {
					err := c.Use()
					switch {
					case err == nil:
						ok.Add(1)
					case errors.Is(err, runtime.ErrClosed):
						closed.Add(1)
						return
					default:
						unexpected <- err
						return
					}
				}
			})
		}
		for range closers {
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
			t.Errorf("unexpected error: %v", err)
		}
		// No call can run any more: the references are dropped.
		assert.True(t, c.Dropped(), "references left after Close")
		assert.ErrorIs(t, c.Use(), runtime.ErrClosed)
		for _, r := range resources {
			assert.Equal(t, 1, r.Calls(), "a resource was not closed exactly once")
		}
		if t.Failed() {
			return
		}
	}
	t.Logf("%d calls succeeded, %d got ErrClosed", ok.Load(), closed.Load())
	assert.Equal(t, int64(clients*callers), closed.Load(), "every caller ends with ErrClosed")
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
