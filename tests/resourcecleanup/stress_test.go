package resourcecleanup

import (
	"context"
	"errors"
	goruntime "runtime"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// stressClients is how many clients the stress test closes at once.
const stressClients = 10_000

// TestStressHangingSteps closes ten thousand clients concurrently, each with
// a step that hangs. In a synctest bubble time is fake, so every Close must
// return exactly at its deadline plus Grace, however loaded the two cores are.
func TestStressHangingSteps(t *testing.T) {
	baseline := goruntime.NumGoroutine()
	synctest.Test(t, func(t *testing.T) {
		const timeout = 100 * time.Millisecond // StressClient's timeout=
		resources := make([]*Resource, stressClients)
		clients := make([]*StressClient, stressClients)
		for i := range clients {
			resources[i] = NewResource(Hang, 0)
			clients[i] = NewStressClient(resources[i])
		}

		start := time.Now()
		elapsed := make([]time.Duration, stressClients)
		errs := make([]error, stressClients)
		var wg sync.WaitGroup
		for i, c := range clients {
			wg.Go(func() {
				errs[i] = c.Close()
				elapsed[i] = time.Since(start)
			})
		}
		wg.Wait()

		late, wrong := 0, 0
		for i := range clients {
			if elapsed[i] != timeout+runtime.Grace {
				late++
			}
			if !isAbandonedRes(errs[i]) {
				wrong++
			}
		}
		assert.Zero(t, late, "Closes that did not return at the deadline plus Grace, of %d", stressClients)
		assert.Zero(t, wrong, "errors other than res abandoned at the deadline, of %d; the first: %v", stressClients, errs[0])

		hung := abandonedSteps("resourcecleanup.StressClient")
		require.Len(t, hung, stressClients, "Abandoned() lists exactly the hung steps")
		for _, step := range hung {
			if step != "res" {
				t.Fatalf("Abandoned() lists step %q", step)
			}
		}
		for _, r := range resources {
			assert.Equal(t, 0, r.Returned())
		}

		// A second Close returns the first one's result at once.
		again := clients[0].Close()
		assert.Same(t, errs[0], again)

		for _, r := range resources {
			r.Release()
		}
		synctest.Wait()
		assert.Empty(t, abandonedSteps("resourcecleanup.StressClient"), "Abandoned() once the hung steps are released")
		for _, r := range resources {
			assert.Equal(t, 1, r.Returned())
		}
	})
	// Every goroutine the Closes started has ended: synctest.Test waits for
	// the bubble's goroutines, and nothing escaped the bubble.
	// Goroutines of earlier tests (outside the bubble) may still be
	// returning, so the count is given a moment to settle.
	n := goruntime.NumGoroutine()
	for wait := time.Now().Add(5 * time.Second); n > baseline && time.Now().Before(wait); n = goruntime.NumGoroutine() {
		time.Sleep(10 * time.Millisecond)
	}
	assert.LessOrEqual(t, n, baseline, "goroutines after the hung steps were released")
	goleak.VerifyNone(t)
}

// isAbandonedRes reports whether err says that StressClient's res step was
// abandoned at the client's deadline, and only that.
func isAbandonedRes(err error) bool {
	ce, ok := err.(*runtime.CleanupError)
	if !ok || ce.Type != "resourcecleanup.StressClient" || len(ce.Tasks) != 1 {
		return false
	}
	task := ce.Tasks[0]
	return task.Name == "res" && task.State == runtime.StateAbandoned &&
		task.Duration == 100*time.Millisecond+runtime.Grace && errors.Is(task.Err, context.DeadlineExceeded)
}

// TestStressHangingStepsRealTime is the stress test on the real clock and
// the real scheduler, outside any bubble: every Close returns within
// realSlack of its own deadline, measured from its own start.
func TestStressHangingStepsRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	// Two cores, the race detector, other packages' tests beside this one
	// and twenty thousand goroutines started at once: scheduling and GC
	// alone delay the slowest Closes by hundreds of milliseconds (up to 1.8s
	// seen with -race), and the median usually stays within 15ms, though it
	// was once 253ms late beside the adoption tests' builds. The exact bound
	// is TestStressHangingSteps's, on fake time; this one checks the real
	// scheduler with a slack that does not flake.
	const (
		medianSlack = time.Second
		realSlack   = 5 * time.Second
	)
	const timeout = 100 * time.Millisecond // StressClient's timeout=
	baseline := goruntime.NumGoroutine()

	resources := make([]*Resource, stressClients)
	clients := make([]*StressClient, stressClients)
	for i := range clients {
		resources[i] = NewResource(Hang, 0)
		clients[i] = NewStressClient(resources[i])
	}
	released := false
	releaseAll := func() {
		if !released {
			released = true
			for _, r := range resources {
				r.Release()
			}
		}
	}
	t.Cleanup(releaseAll)

	elapsed := make([]time.Duration, stressClients)
	errs := make([]error, stressClients)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			start := time.Now()
			errs[i] = c.Close()
			elapsed[i] = time.Since(start)
		})
	}
	wg.Wait()

	var worst time.Duration
	late, wrong := 0, 0
	for i := range clients {
		worst = max(worst, elapsed[i])
		if elapsed[i] > timeout+realSlack {
			late++
		}
		var ce *runtime.CleanupError
		// Ten thousand teardowns start on two cores at once: a step whose
		// goroutine the scheduler did not run by the deadline is reported
		// as not started, which is as true.
		if !errors.As(errs[i], &ce) || len(ce.Tasks) != 1 || ce.Tasks[0].Name != "res" ||
			ce.Tasks[0].State != runtime.StateAbandoned && ce.Tasks[0].State != runtime.StateNotStarted ||
			!errors.Is(errs[i], context.DeadlineExceeded) {
			wrong++
		}
	}
	sorted := slices.Clone(elapsed)
	slices.Sort(sorted)
	t.Logf("Close durations: median %v, 99th percentile %v, slowest %v (deadline %v)",
		sorted[len(sorted)/2], sorted[len(sorted)*99/100], worst, timeout)
	assert.Zero(t, late, "Closes later than %v after their deadline, of %d", realSlack, stressClients)
	assert.LessOrEqual(t, sorted[len(sorted)/2], timeout+medianSlack, "median Close duration")
	assert.Zero(t, wrong, "errors other than res abandoned or not started, of %d; the first: %v", stressClients, errs[0])
	time.Sleep(runtime.Grace) // a late step is listed once it has run for Grace
	assert.Len(t, abandonedSteps("resourcecleanup.StressClient"), stressClients, "Abandoned() lists exactly the hung steps")
	assert.GreaterOrEqual(t, goruntime.NumGoroutine(), stressClients, "the hung steps' goroutines are still running")

	releaseAll()
	// Polled by hand: assert.Eventually runs its condition in a goroutine
	// of its own, which NumGoroutine would count.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		left, running := len(abandonedSteps("resourcecleanup.StressClient")), goruntime.NumGoroutine()
		if left == 0 && running <= baseline {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("10s after the release: Abandoned() lists %d steps, %d goroutines run, %d before", left, running, baseline)
		}
	}
	goleak.VerifyNone(t)
}
