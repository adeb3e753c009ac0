package runtime

import (
	"context"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGuardZeroValueAdmitsCalls(t *testing.T) {
	var g Guard
	require.NoError(t, g.Enter())
	require.NoError(t, g.Enter())
	assert.False(t, g.Closed())
	g.Leave()
	g.Leave()
	assert.False(t, inFlight(&g))
}

func TestGuardClosesTheDoor(t *testing.T) {
	var g Guard
	require.True(t, g.begin())
	assert.False(t, g.begin(), "only the first close owns the teardown")
	assert.True(t, g.Closed())
	assert.ErrorIs(t, g.Enter(), ErrClosed)
	assert.False(t, inFlight(&g), "a refused Enter leaves no call in flight")
	select {
	case <-g.idleChan():
	default:
		t.Fatal("a guard closed with no call in flight is idle")
	}
}

func TestGuardLeaveWithoutEnterPanics(t *testing.T) {
	const msg = "cleanupgen/runtime: Guard.Leave without a matching Enter (no call is in flight)"
	var g Guard
	assert.PanicsWithValue(t, msg, g.Leave)
	// The guard is as it was: open, with no call in flight.
	require.NoError(t, g.Enter(), "a misused Leave must not close the door")
	g.Leave()
	assert.False(t, g.Closed())

	var closed Guard
	closed.begin()
	assert.PanicsWithValue(t, msg, closed.Leave)
	assert.True(t, closed.Closed(), "a misused Leave must not reopen the door")
	assert.ErrorIs(t, closed.Enter(), ErrClosed)
	assert.False(t, inFlight(&closed))
}

func TestGuardDropWaitsForLastLeave(t *testing.T) {
	var g Guard
	require.NoError(t, g.Enter())
	require.NoError(t, g.Enter())
	g.begin()
	dropped := false
	assert.False(t, g.dropWhenIdle(func() { dropped = true }))
	g.Leave()
	assert.False(t, dropped, "one call is still in flight")
	g.Leave()
	assert.True(t, dropped, "the last Leave drops")
}

func TestGuardDoneAfterFinish(t *testing.T) {
	var g Guard
	before := g.Done()
	g.begin()
	select {
	case <-before:
		t.Fatal("Done closed before teardown ended")
	default:
	}
	g.finish(ErrClosed)
	<-before
	<-g.Done() // a channel asked for after the end is closed too
	assert.Equal(t, ErrClosed, g.result())
}

// TestGuardEnterRacesClose runs calls against a closing guard: every call
// is either admitted before the door closes, and then drop waits for it, or
// refused. Run it with -race.
func TestGuardEnterRacesClose(t *testing.T) {
	c := &guardClient{data: new(int)}
	var wg sync.WaitGroup
	var admitted, refused sync.Map
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				if err := c.guard.Enter(); err != nil {
					refused.Store(i*1000+j, true)
					continue
				}
				*c.data++ // would be a nil dereference if dropped under us
				admitted.Store(i*1000+j, true)
				c.guard.Leave()
			}
		})
	}
	td := Plan[guardClient, guardRefs]{Type: "test.race", Timeout: time.Minute}
	require.NoError(t, td.Close(context.Background(), &c.guard, c))
	wg.Wait()
	assert.Nil(t, c.data)
	n := 0
	admitted.Range(func(any, any) bool { n++; return true })
	refused.Range(func(any, any) bool { n++; return true })
	assert.Equal(t, 8*200, n, "every call was admitted or refused")
}

func TestGuardConcurrentCloseWaitsForFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		calls := 0
		td := Plan[guardClient, guardRefs]{Type: "test.once", Timeout: 10 * time.Second, Steps: []Step{{Name: "slow"}}}
		c := &guardClient{step: func(ctx context.Context) error {
			calls++
			<-release
			return ErrClosed
		}}
		errs := make(chan error, 3)
		for range 3 {
			go func() { errs <- td.Close(context.Background(), &c.guard, c) }()
		}
		time.Sleep(time.Second)
		close(release)
		for range 3 {
			err := <-errs
			var ce *CleanupError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, ErrClosed)
		}
		assert.Equal(t, 1, calls, "teardown ran once")
		err := td.Close(context.Background(), &c.guard, c)
		assert.ErrorIs(t, err, ErrClosed, "a later close returns the first one's result")
	})
}

func TestGuardLaterCloseGivesUpAtItsOwnDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		td := Plan[guardClient, guardRefs]{Type: "test.wait", Timeout: 10 * time.Second, Steps: []Step{{Name: "slow"}}}
		c := &guardClient{step: func(ctx context.Context) error {
			<-release
			return nil
		}}
		first := make(chan error)
		go func() { first <- td.Close(context.Background(), &c.guard, c) }()
		synctest.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		start := time.Now()
		err := td.Close(ctx, &c.guard, c)
		assert.Equal(t, time.Second, time.Since(start))
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		assert.Contains(t, err.Error(), "test.wait")
		close(release)
		assert.NoError(t, <-first)
	})
}

// inFlight reports whether calls are between Enter and Leave.
func inFlight(g *Guard) bool {
	return g.state.Load()&^closingBit != 0
}

// guardClient is a client with one step, the function step, and a
// reference, data.
type guardClient struct {
	guard Guard
	data  *int
	step  func(ctx context.Context) error
}

// guardRefs implements Refs for guardClient.
type guardRefs struct {
	step func(ctx context.Context) error
}

func (r *guardRefs) Take(x *guardClient)  { r.step = x.step }
func (r *guardRefs) Drop(x *guardClient)  { x.data, x.step = nil, nil }
func (r *guardRefs) Len(int) int          { return 0 }
func (r *guardRefs) Name(int, int) string { return "" }

func (r *guardRefs) Close(ctx context.Context, _, _ int, _ bool) error {
	if r.step == nil {
		return nil
	}
	return r.step(ctx)
}

// lockedClient's Drop takes mu, as generated code does for lock= fields.
type lockedClient struct {
	guard Guard
	mu    sync.Mutex
	data  *int
}

type lockedRefs struct{}

func (*lockedRefs) Take(*lockedClient) {}
func (*lockedRefs) Drop(x *lockedClient) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.data = nil
}
func (*lockedRefs) Len(int) int                                 { return 0 }
func (*lockedRefs) Name(int, int) string                        { return "" }
func (*lockedRefs) Close(context.Context, int, int, bool) error { return nil }

func TestLockedPlanDropsOffTheLeavingCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := Plan[lockedClient, lockedRefs]{Type: "test.locked", Timeout: time.Second, Locked: true}
		c := &lockedClient{data: new(int)}
		require.NoError(t, c.guard.Enter())
		closed := make(chan error, 1)
		go func() { closed <- p.Close(context.Background(), &c.guard, c) }()
		// Past the wait for calls in flight (half the budget): the teardown
		// has run, and leaves the drop to the last Leave.
		time.Sleep(700 * time.Millisecond)
		synctest.Wait()
		// The call in flight leaves while it holds the lock Drop takes: Leave
		// must not run Drop on this goroutine, or it would deadlock.
		c.mu.Lock()
		c.guard.Leave()
		assert.NotNil(t, c.data, "not dropped under the caller's lock")
		c.mu.Unlock()
		require.NoError(t, <-closed)
		synctest.Wait()
		c.mu.Lock()
		defer c.mu.Unlock()
		assert.Nil(t, c.data, "dropped once the lock is free")
	})
}

func TestGuardEnterContextEndsWhenClosingBegins(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		ctx, leave, err := c.guard.EnterContext(context.Background())
		require.NoError(t, err)
		returned := make(chan struct{})
		go func() { // a Receive that waits until its context ends
			defer close(returned)
			defer leave()
			<-ctx.Done()
			assert.ErrorIs(t, context.Cause(ctx), ErrClosed)
		}()
		start := time.Now()
		require.NoError(t, plan(10*time.Second, step("conn", 0, sleep(0))).Close(context.Background(), &c.guard, c))
		assert.Equal(t, time.Duration(0), time.Since(start), "Close does not wait for a call that ends when closing begins")
		<-returned
		leave() // a second call does nothing
		assert.False(t, inFlight(&c.guard))
	})
}

func TestGuardEnterContextFollowsItsParent(t *testing.T) {
	var g Guard
	parent, cancel := context.WithCancel(context.Background())
	ctx, leave, err := g.EnterContext(parent)
	require.NoError(t, err)
	cancel()
	<-ctx.Done()
	assert.ErrorIs(t, context.Cause(ctx), context.Canceled)
	leave()
	assert.False(t, inFlight(&g), "leave ends the call")
	require.True(t, g.begin())
	_, leave, err = g.EnterContext(context.Background())
	assert.ErrorIs(t, err, ErrClosed)
	leave() // harmless
	assert.False(t, inFlight(&g))
}

func TestGuardEnterContextAfterClosingRaces(t *testing.T) {
	// A call admitted just before closing begins still gets a context that
	// ends: the closing signal cannot slip between Enter and its watch.
	for range 100 {
		var g Guard
		ctx, leave, err := g.EnterContext(context.Background())
		require.NoError(t, err)
		go g.begin()
		<-ctx.Done()
		assert.ErrorIs(t, context.Cause(ctx), ErrClosed)
		leave()
	}
}
