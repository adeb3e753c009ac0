package runtime

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hooks are what a hookRefs does in each method; nil does nothing.
type hooks struct {
	take     func()
	takeStep func(step int)
	len      func(step int) int
	name     func(step, elem int) string
	drop     func()
	close    func(ctx context.Context, step, elem int, force bool) error
}

// hookClient is a client whose refs type runs hooks.
type hookClient struct {
	guard Guard
	data  *int
	h     *hooks
}

func newHookClient(h *hooks) *hookClient { return &hookClient{data: new(int), h: h} }

// hookRefs is a hand-written refs type that takes everything at once.
type hookRefs struct{ h *hooks }

func (r *hookRefs) Take(x *hookClient) {
	r.h = x.h
	if r.h.take != nil {
		r.h.take()
	}
}

func (r *hookRefs) Drop(x *hookClient) {
	if x.h.drop != nil {
		x.h.drop()
	}
	x.data = nil
}

func (r *hookRefs) Len(step int) int { return r.h.lenOf(step) }

func (r *hookRefs) Name(step, elem int) string { return r.h.nameOf(step, elem) }

func (r *hookRefs) Close(ctx context.Context, step, elem int, force bool) error {
	return r.h.closeOf(ctx, step, elem, force)
}

func (h *hooks) lenOf(step int) int {
	if h.len != nil {
		return h.len(step)
	}
	return 0
}

func (h *hooks) nameOf(step, elem int) string {
	if h.name != nil {
		return h.name(step, elem)
	}
	return "e[" + strconv.Itoa(elem) + "]"
}

func (h *hooks) closeOf(ctx context.Context, step, elem int, force bool) error {
	if h.close != nil {
		return h.close(ctx, step, elem, force)
	}
	return nil
}

// stepRefs takes the client's fields step by step: it implements
// StepTaker. Take must never be called.
type stepRefs struct{ hs [8]*hooks }

func (r *stepRefs) Take(*hookClient) { panic("Take called on a StepTaker") }

func (r *stepRefs) TakeStep(x *hookClient, step int) {
	r.hs[step] = x.h
	if x.h.takeStep != nil {
		x.h.takeStep(step)
	}
}

func (r *stepRefs) Drop(x *hookClient) {
	if x.h.drop != nil {
		x.h.drop()
	}
	x.data = nil
}

func (r *stepRefs) Len(step int) int           { return r.hs[step].lenOf(step) }
func (r *stepRefs) Name(step, elem int) string { return r.hs[step].nameOf(step, elem) }
func (r *stepRefs) Close(ctx context.Context, step, elem int, force bool) error {
	return r.hs[step].closeOf(ctx, step, elem, force)
}

func hookPlan(timeout time.Duration, steps ...Step) *Plan[hookClient, hookRefs] {
	return &Plan[hookClient, hookRefs]{Type: "test.Hooks", Timeout: timeout, Steps: steps}
}

func stepPlan(timeout time.Duration, steps ...Step) *Plan[hookClient, stepRefs] {
	return &Plan[hookClient, stepRefs]{Type: "test.Steps", Timeout: timeout, Steps: steps}
}

// names returns the name and state of each task of err.
func names(t *testing.T, err error) []string {
	t.Helper()
	var ce *CleanupError
	require.ErrorAs(t, err, &ce)
	var out []string
	for _, r := range ce.Tasks {
		out = append(out, r.Name+": "+r.State.String())
	}
	return out
}

func TestRefsMethodsThatPanicOrGoexitAreReported(t *testing.T) {
	boom := func() { panic("boom") }
	exit := func() { runtime.Goexit() }
	for _, tt := range []struct {
		name  string
		h     func(fail func()) *hooks
		steps []Step
		want  []string
	}{
		{"Take", func(fail func()) *hooks { return &hooks{take: fail} },
			[]Step{{Name: "a"}}, []string{"Refs.Take: "}},
		{"Drop", func(fail func()) *hooks { return &hooks{drop: fail} },
			[]Step{{Name: "a"}}, []string{"Refs.Drop: "}},
		{"Len", func(fail func()) *hooks {
			return &hooks{len: func(int) int { fail(); return 0 }}
		}, []Step{{Name: "items", Each: true}, {Name: "after", Phase: 1}}, []string{"items: "}},
		{"Name", func(fail func()) *hooks {
			return &hooks{len: func(int) int { return 2 }, name: func(int, int) string { fail(); return "" }}
		}, []Step{{Name: "items", Each: true}}, []string{"items: Refs.Name: "}},
	} {
		for _, how := range []struct {
			name  string
			fail  func()
			state State
		}{{"panic", boom, StatePanicked}, {"Goexit", exit, StateFailed}} {
			t.Run(tt.name+" "+how.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					c := newHookClient(tt.h(how.fail))
					p := hookPlan(time.Minute, tt.steps...)
					start := time.Now()
					err := p.Close(context.Background(), &c.guard, c)
					assert.Zero(t, time.Since(start), "no wait for the deadline")
					want := []string{tt.want[0] + how.state.String()}
					if tt.name == "Name" && how.name == "Goexit" {
						want = []string{"items: failed"} // Goexit ends the listing: the step fails
					}
					assert.Equal(t, want, names(t, err))
					assert.Same(t, err, p.Close(context.Background(), &c.guard, c), "the guard is finished: a second Close returns the result at once")
				})
			})
		}
	}
}

func TestElementNamedAfterItsIndexWhenNamePanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hooks{
			len:  func(int) int { return 2 },
			name: func(_, elem int) string { panic("bad name") },
			close: func(_ context.Context, _, elem int, _ bool) error {
				if elem == 1 {
					return errBoom
				}
				return nil
			},
		}
		c := newHookClient(h)
		err := hookPlan(time.Minute, Step{Name: "items", Each: true}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"items[1]: failed", "items: Refs.Name: panicked"}, names(t, err))
	})
}

func TestNameIsNotCalledOnTheCallersPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		listed := false
		h := &hooks{
			len: func(int) int { return 2 },
			name: func(_, elem int) string {
				mu.Lock()
				defer mu.Unlock()
				if listed {
					panic("Name called after the listing")
				}
				return "conns[" + strconv.Itoa(elem) + "]"
			},
			close: func(context.Context, int, int, bool) error {
				mu.Lock()
				listed = true
				mu.Unlock()
				<-release
				return nil
			},
		}
		c := newHookClient(h)
		err := hookPlan(time.Second, Step{Name: "conns", Each: true}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"conns[0]: abandoned", "conns[1]: abandoned"}, names(t, err))
		close(release)
	})
}

func TestCollectionListedAfterTheDeadlineIsOneStep(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		release := make(chan struct{})
		closed := make(chan int, 2)
		h := &hooks{
			len:   func(int) int { <-release; return 2 },
			close: func(_ context.Context, _, elem int, _ bool) error { closed <- elem; return nil },
		}
		c := newHookClient(h)
		err := hookPlan(time.Second, Step{Name: "items", Each: true}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"items: abandoned"}, names(t, err))
		close(release)
		synctest.Wait()
		assert.Len(t, closed, 2, "its elements are still closed, late")
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.ended, 1)
		require.Len(t, o.ended[0].Steps, 1, "the report says what the error says: one step")
		assert.Equal(t, "items", o.ended[0].Steps[0].Name)
		assert.Equal(t, StateAbandoned, o.ended[0].Steps[0].State)
	})
}

// TestCollectionListingHasNoBudgetOfItsOwn checks the budget a report
// gives a collection whose listing hung past the deadline: the listing runs
// under the deadline, not under the step's Timeout, which its elements get.
func TestCollectionListingHasNoBudgetOfItsOwn(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		release := make(chan struct{})
		h := &hooks{len: func(int) int { <-release; return 0 }}
		c := newHookClient(h)
		err := hookPlan(time.Second, Step{Name: "items", Each: true, Timeout: 100 * time.Millisecond}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"items: abandoned"}, names(t, err))
		close(release)
		synctest.Wait()
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.ended, 1)
		require.Len(t, o.ended[0].Steps, 1)
		assert.Equal(t, time.Second, o.ended[0].Steps[0].Budget, "the deadline's budget")
	})
}

func TestNoLateStartStepIsNeverStarted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var mu sync.Mutex
		var ran []int
		h := &hooks{close: func(_ context.Context, step, _ int, _ bool) error {
			mu.Lock()
			ran = append(ran, step)
			mu.Unlock()
			if step == 0 {
				<-release
			}
			return nil
		}}
		c := newHookClient(h)
		err := hookPlan(time.Second,
			Step{Name: "stuck"},
			Step{Name: "done", Phase: 1, NoLateStart: true},
			Step{Name: "conn", Phase: 1},
		).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"stuck: abandoned", "done: not started by the deadline", "conn: not started by the deadline"}, names(t, err))
		synctest.Wait()
		assert.Empty(t, Abandoned()[1:], "only stuck runs")
		close(release)
		synctest.Wait()
		mu.Lock()
		defer mu.Unlock()
		assert.ElementsMatch(t, []int{0, 2}, ran, "the channel close never ran; the other late step did")
		assert.Nil(t, c.data, "dropped once every started step returned")
	})
}

func TestStepTakerStuckLockDelaysOnlyItsStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// A lock= lock that a stuck call holds. A channel stands for the
		// mutex: synctest does not see a goroutine blocked on a mutex as
		// durably blocked.
		lock := make(chan struct{})
		var mu sync.Mutex
		var ran []string
		h := &hooks{
			takeStep: func(step int) {
				if step == 0 {
					<-lock
				}
			},
			len: func(int) int { return 1 },
			close: func(_ context.Context, step, elem int, _ bool) error {
				mu.Lock()
				ran = append(ran, strconv.Itoa(step))
				mu.Unlock()
				return nil
			},
		}
		c := newHookClient(h)
		p := stepPlan(time.Second,
			Step{Name: "locked", Timeout: 100 * time.Millisecond},
			Step{Name: "free"},
			Step{Name: "items", Each: true},
			Step{Name: "next", Phase: 1},
		)
		start := time.Now()
		err := p.Close(context.Background(), &c.guard, c)
		assert.Equal(t, 100*time.Millisecond+Grace, time.Since(start), "the stuck step times out on its budget; the next phase runs")
		assert.Equal(t, []string{"locked: abandoned"}, names(t, err))
		mu.Lock()
		assert.ElementsMatch(t, []string{"1", "2", "3"}, ran)
		mu.Unlock()
		assert.NotNil(t, c.data, "not dropped while TakeStep is stuck")
		close(lock)
		synctest.Wait()
		assert.Nil(t, c.data)
	})
}

func TestStepTakerStuckAtTheDeadlineIsAbandoned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := &hooks{takeStep: func(int) { <-release }}
		c := newHookClient(h)
		err := stepPlan(time.Second, Step{Name: "conn", Force: true}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"conn: abandoned"}, names(t, err))
		close(release)
	})
}

func TestStepTakerStuckAtTheDeadlineIsForcedOnceTaken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		var graceful, forced atomic.Int32
		h := &hooks{
			takeStep: func(int) { <-release },
			close: func(_ context.Context, _, _ int, force bool) error {
				if force {
					forced.Add(1)
				} else {
					graceful.Add(1)
				}
				return nil
			},
		}
		c := newHookClient(h)
		err := stepPlan(time.Second, Step{Name: "conn", Force: true}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"conn: abandoned"}, names(t, err))
		synctest.Wait()
		assert.Zero(t, forced.Load(), "nothing to force while TakeStep runs")
		close(release)
		synctest.Wait()
		assert.Equal(t, int32(1), forced.Load(), "forced once TakeStep returned")
		assert.Equal(t, int32(1), graceful.Load(), "and its graceful call ran")
	})
}

func TestStepTakerWithForceInTimeIsNotForced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var forced atomic.Int32
		h := &hooks{close: func(_ context.Context, _, _ int, force bool) error {
			if force {
				forced.Add(1)
			}
			return nil
		}}
		c := newHookClient(h)
		require.NoError(t, stepPlan(time.Second, Step{Name: "conn", Force: true}, Step{Name: "next", Phase: 1}).Close(context.Background(), &c.guard, c))
		synctest.Wait()
		assert.Zero(t, forced.Load())
	})
}

func TestLockedDropNeverDelaysTheResult(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// The client's own goroutine holds the lock as the last phase
		// ends; a channel stands for the mutex, as above.
		lock := make(chan struct{})
		h := &hooks{drop: func() { <-lock }}
		c := newHookClient(h)
		p := hookPlan(time.Second, Step{Name: "a"}, Step{Name: "b", Phase: 1})
		p.Locked = true
		start := time.Now()
		require.NoError(t, p.Close(context.Background(), &c.guard, c), "every step succeeded")
		assert.Zero(t, time.Since(start), "the result does not wait for the lock")
		synctest.Wait()
		assert.NotNil(t, c.data)
		close(lock)
		synctest.Wait()
		assert.Nil(t, c.data, "dropped as soon as the lock is free")
	})
}

func TestBlockingDropIsNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		h := &hooks{drop: func() { <-release }}
		c := newHookClient(h)
		err := hookPlan(time.Second, Step{Name: "a"}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"Refs.Drop: abandoned"}, names(t, err), "an error names what failed")
		close(release)
	})
}

func TestTakeStepPanicFailsItsStep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := &hooks{takeStep: func(step int) {
			if step == 0 {
				var mu *sync.Mutex // a nil lock= mutex of a half-built client
				mu.Lock()
			}
		}}
		c := newHookClient(h)
		err := stepPlan(time.Second, Step{Name: "conn"}, Step{Name: "other"}).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"conn: panicked"}, names(t, err))
		var pe *PanicError
		assert.True(t, errors.As(err, &pe))
	})
}

func TestCallLeavingAfterTheLastPhaseDropsBeforeCloseReturns(t *testing.T) {
	for range 20 {
		synctest.Test(t, func(t *testing.T) {
			c := newClient()
			require.NoError(t, c.guard.Enter())
			go func() {
				time.Sleep(7 * time.Second)
				c.guard.Leave()
			}()
			start := time.Now()
			require.NoError(t, plan(10*time.Second, step("conn", 0, sleep(0))).Close(context.Background(), &c.guard, c))
			assert.Equal(t, 7*time.Second, time.Since(start), "steps start after half the budget; Close waits for the call")
			assert.Nil(t, c.conn, "dropped before Close returned")
		})
	}
}

func TestEmptyCollectionEndsItsPhase(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var ran []int
		h := &hooks{close: func(_ context.Context, step, _ int, _ bool) error {
			mu.Lock()
			ran = append(ran, step)
			mu.Unlock()
			return nil
		}}
		c := newHookClient(h)
		require.NoError(t, hookPlan(time.Second, Step{Name: "none", Each: true}, Step{Name: "next", Phase: 1}).Close(context.Background(), &c.guard, c))
		assert.Equal(t, []int{1}, ran)
		assert.Nil(t, c.data)
	})
}

func TestCollectionWhoseTakeStepIsStuckAtTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		lock := make(chan struct{})
		closed := make(chan int, 2)
		var lens sync.Map
		h := &hooks{
			takeStep: func(step int) {
				if step == 0 {
					<-lock
				}
			},
			len: func(step int) int { lens.Store(step, true); return 2 },
			close: func(_ context.Context, step, elem int, _ bool) error {
				if step == 0 {
					closed <- elem
				}
				return nil
			},
		}
		c := newHookClient(h)
		err := stepPlan(time.Second,
			Step{Name: "conns", Each: true},
			Step{Name: "chans", Each: true, Phase: 1, NoLateStart: true},
		).Close(context.Background(), &c.guard, c)
		assert.Equal(t, []string{"conns: abandoned", "chans: not started by the deadline"}, names(t, err))
		close(lock)
		synctest.Wait()
		assert.Len(t, closed, 2, "listed late, its elements are closed")
		_, listed := lens.Load(1)
		assert.False(t, listed, "a NoLateStart collection is never listed")
		assert.Nil(t, c.data)
	})
}
