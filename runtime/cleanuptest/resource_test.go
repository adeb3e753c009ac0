package cleanuptest_test

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
)

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestResourceImmediate(t *testing.T) {
	boom := errors.New("boom")
	for _, tc := range []struct {
		name string
		r    *cleanuptest.Resource
		err  error
	}{
		{"OK", cleanuptest.OK(), nil},
		{"Fail", cleanuptest.Fail(boom), boom},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.False(t, closed(tc.r.Started()))
			assert.Equal(t, tc.err, tc.r.Close())
			assert.Equal(t, tc.err, tc.r.Shutdown(context.Background()))
			assert.Equal(t, 2, tc.r.Calls())
			assert.True(t, closed(tc.r.Started()))
			assert.True(t, closed(tc.r.Returned()))
			assert.False(t, tc.r.Killed())
		})
	}
}

func TestResourcePanic(t *testing.T) {
	r := cleanuptest.Panic("boom")
	assert.PanicsWithValue(t, "boom", func() { _ = r.Close() })
	assert.PanicsWithValue(t, "boom", func() { _ = r.Shutdown(context.Background()) })
	assert.True(t, closed(r.Returned()), "a panic counts as returning")
}

// call runs fn in a goroutine and returns a channel that receives its
// result.
func call(fn func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- fn() }()
	return ch
}

func TestResourceHang(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cleanuptest.Hang(t)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		closeDone, shutdownDone := call(r.Close), call(func() error { return r.Shutdown(ctx) })
		time.Sleep(time.Hour)
		synctest.Wait()
		assert.True(t, closed(r.Started()))
		assert.False(t, closed(r.Returned()), "returned before Release, its context long done")
		r.Release()
		assert.NoError(t, <-closeDone)
		assert.NoError(t, <-shutdownDone)
		assert.NoError(t, r.Close(), "a released resource returns at once")
		assert.Equal(t, 3, r.Calls())
	})
}

func TestResourceHangKill(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cleanuptest.Hang(t)
		done := call(r.Close)
		synctest.Wait()
		require.NoError(t, r.Kill())
		assert.NoError(t, <-done)
		assert.True(t, r.Killed())
	})
}

// TestResourceReleasedAtTestEnd: a call still hanging when the test ends
// returns then, so the bubble (and goleak) find no goroutine left.
func TestResourceReleasedAtTestEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, r := range []*cleanuptest.Resource{cleanuptest.Hang(t), cleanuptest.Slow(t, time.Hour), cleanuptest.IgnoreContext(t, time.Hour)} {
			go func() { _ = r.Close() }()
		}
	})
}

func TestResourceSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cleanuptest.Slow(t, time.Second)
		start := time.Now()
		require.NoError(t, r.Close())
		assert.Equal(t, time.Second, time.Since(start))

		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start = time.Now()
		assert.ErrorIs(t, r.Shutdown(ctx), context.DeadlineExceeded)
		assert.Equal(t, 100*time.Millisecond, time.Since(start), "Slow's Shutdown listens to its context")
	})
}

func TestResourceIgnoreContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := cleanuptest.IgnoreContext(t, time.Second)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		start := time.Now()
		require.NoError(t, r.Shutdown(ctx))
		assert.Equal(t, time.Second, time.Since(start), "IgnoreContext's Shutdown does not listen to its context")

		done := call(func() error { return r.Shutdown(ctx) })
		synctest.Wait()
		r.Release()
		assert.NoError(t, <-done)
		assert.Equal(t, time.Second, time.Since(start), "Release cuts the call short")
	})
}
