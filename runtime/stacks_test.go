package runtime

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// everyProbe lets each teardown of the test take a goroutine profile.
func everyProbe(t *testing.T) {
	prev := probeEvery
	probeEvery = 0
	t.Cleanup(func() { probeEvery = prev })
}

func TestAbandonedStepShowsWhereItIsStuck(t *testing.T) {
	settleEvents(t)
	everyProbe(t)
	var buf bytes.Buffer
	prev := slog.Default()
	prevOut, prevFlags := log.Writer(), log.Flags()
	t.Cleanup(func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) })
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		conn, peer := net.Pipe() // a peer that never answers
		c := newClient()
		err := plan(time.Second,
			step("session", 0, func(context.Context) error {
				_, err := conn.Read(make([]byte, 1))
				return err
			}),
		).Close(context.Background(), &c.guard, c)
		require.Error(t, err)
		synctest.Wait()
		o.mu.Lock()
		require.Len(t, o.ended, 1)
		stack := o.ended[0].Steps[0].Stack
		o.mu.Unlock()
		require.NotEmpty(t, stack)
		assert.Equal(t, []string{"net.(*pipe).read", "net.(*pipe).Read"}, stack[:2], "innermost first, this package's frames skipped")
		got := Abandoned()
		require.Len(t, got, 1)
		assert.Equal(t, stack, got[0].Stack)
		conn.Close()
		peer.Close()
		synctest.Wait()
	})
	assert.Contains(t, buf.String(), `cleanupgen.step=session cleanupgen.phase=0 cleanupgen.state=abandoned`)
	assert.Contains(t, buf.String(), `cleanupgen.stack="net.(*pipe).read <- net.(*pipe).Read"`)
}

func TestManagerAbandonedTaskShowsWhereItIsStuck(t *testing.T) {
	settleEvents(t)
	everyProbe(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		defer AddObserver(o)()
		conn, peer := net.Pipe()
		m := NewManager(context.Background(), time.Second, WithName("test.stacks"))
		m.Go("session", func(context.Context) error {
			_, err := conn.Read(make([]byte, 1))
			return err
		})
		require.Error(t, m.Wait())
		synctest.Wait()
		o.mu.Lock()
		require.Len(t, o.ended, 1)
		stack := o.ended[0].Steps[0].Stack
		o.mu.Unlock()
		require.NotEmpty(t, stack)
		assert.Equal(t, "net.(*pipe).read", stack[0])
		got := Abandoned()
		require.Len(t, got, 1)
		assert.Equal(t, stack, got[0].Stack)
		conn.Close()
		peer.Close()
		synctest.Wait()
	})
}

func TestProfilesAreRateLimited(t *testing.T) {
	prev := probeEvery
	probeEvery = time.Hour
	t.Cleanup(func() { probeEvery = prev; lastProbe.Store(0) })
	lastProbe.Store(time.Now().UnixNano())
	assert.False(t, probeDue(time.Now()), "one profile an hour")
	lastProbe.Store(time.Now().Add(-2 * time.Hour).UnixNano())
	assert.True(t, probeDue(time.Now()))
	assert.False(t, probeDue(time.Now()), "taken: the next waits an hour")
}

func TestParseStacks(t *testing.T) {
	profile := "goroutine profile: total 2\n" +
		"1 @ 0x1 0x2\n" +
		"# labels: {\"cleanup.client\":\"vision.VisionDataClient\", \"cleanup.step\":\"session\", \"other\":\"x\\\"y\"}\n" +
		"#\t0x4dcb78\tinternal/poll.(*FD).Read+0x18\t\t/x/fd.go:11\n" +
		"#\t0x4dcb78\tsync.runtime_SemacquireWaitGroup+0x18\t\t/x/sema.go:11\n" +
		"#\t0x4dcb78\tnet.(*conn).Read+0x18\t\t/x/net.go:11\n" +
		"#\t0x4dcb6e\tgithub.com/acme/vision.(*session).End+0xe\t/x/s.go:15\n" +
		"#\t0x4dcb6e\tgithub.com/cleanupgen/cleanupgen/runtime.(*run[...]).execOne+0xe\t/x/run.go:15\n" +
		"\n" +
		"1 @ 0x1\n" +
		"#\t0x4dcb78\tmain.main+0x18\t\t/x/main.go:11\n"
	assert.Equal(t, map[stepKey][]string{
		{"vision.VisionDataClient", "session"}: {"net.(*conn).Read", "vision.(*session).End"},
	}, parseStacks(profile))
}
