package runtime

import (
	"context"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReportCarriesTeardownIDAndStepDetails(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		release := make(chan struct{})
		c := newClient()
		c.items = []*recorder{{}, {}}
		var stepID uint64
		each := tstep{Name: "items", Phase: 1, Each: func(r *testRefs, add func(string, func(context.Context) error, func(context.Context) error)) {
			for i := range r.items {
				add("items["+strconv.Itoa(i)+"]", func(context.Context) error { return nil }, nil)
			}
		}}
		budgeted := step("budgeted", 0, func(ctx context.Context) error {
			stepID = TeardownID(ctx)
			return nil
		})
		budgeted.Timeout = 100 * time.Millisecond
		forced := serverStep(200*time.Millisecond, make(chan struct{}))
		forced.Phase = 2
		start := time.Now()
		err := plan(time.Second,
			budgeted,
			each,
			forced,
			step("stuck", 3, waitFor(release)),
			step("late", 4, sleep(0)),
		).Close(context.Background(), &c.guard, c)
		require.Error(t, err)
		abandoned := Abandoned()
		synctest.Wait()
		o.mu.Lock()
		require.Len(t, o.ended, 1)
		r := o.ended[0]
		o.mu.Unlock()

		assert.NotZero(t, r.ID)
		assert.Equal(t, r.ID, stepID, "a step's context knows its teardown")
		assert.Equal(t, start.Add(time.Second), r.Deadline)
		require.Len(t, abandoned, 1)
		assert.Equal(t, r.ID, abandoned[0].Teardown)
		type row struct {
			Name, Field  string
			Index, Phase int
			Budget       time.Duration
			Forced       bool
			Teardown     uint64
			State        State
		}
		var got []row
		for _, s := range r.Steps {
			got = append(got, row{s.Name, s.Field, s.Index, s.Phase, s.Budget, s.Forced, s.Teardown, s.State})
		}
		// Every step but budgeted ends at once; forced starts at 0 too:
		// budgeted's phase ends when it returns.
		assert.Equal(t, []row{
			{"budgeted", "budgeted", -1, 0, 100 * time.Millisecond, false, r.ID, StateOK},
			{"items[0]", "items", 0, 1, time.Second, false, r.ID, StateOK},
			{"items[1]", "items", 1, 1, time.Second, false, r.ID, StateOK},
			{"server", "server", -1, 2, 200 * time.Millisecond, true, r.ID, StateForced},
			{"stuck", "stuck", -1, 3, 800 * time.Millisecond, false, r.ID, StateAbandoned},
			{"late", "late", -1, 4, 0, false, r.ID, StateNotStarted},
		}, got)

		close(release)
		synctest.Wait()
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.returned, 1)
		assert.Equal(t, r.ID, o.returned[0].Teardown)
		assert.Equal(t, "stuck", o.returned[0].Field)
		assert.Equal(t, 3, o.returned[0].Phase)
		assert.Equal(t, -1, o.returned[0].Index)
	})
}

func TestTeardownIDsAreUnique(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		for range 3 {
			c := newClient()
			require.NoError(t, plan(time.Second, step("a", 0, sleep(0))).Close(context.Background(), &c.guard, c))
		}
		var managerID uint64
		m := NewManager(context.Background(), time.Second)
		m.Go("task", func(ctx context.Context) error { managerID = TeardownID(ctx); return nil })
		require.NoError(t, m.Wait())
		synctest.Wait()
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.ended, 4)
		seen := map[uint64]bool{}
		for _, r := range o.ended {
			assert.NotZero(t, r.ID)
			assert.False(t, seen[r.ID], "IDs are not reused")
			seen[r.ID] = true
			for _, s := range r.Steps {
				assert.Equal(t, r.ID, s.Teardown)
			}
		}
		assert.Equal(t, o.ended[3].ID, managerID)
		assert.Equal(t, m.Deadline(), o.ended[3].Deadline)
		assert.Equal(t, "task", o.ended[3].Steps[0].Field)
		assert.Equal(t, -1, o.ended[3].Steps[0].Index)
		assert.Zero(t, TeardownID(context.Background()))
	})
}
