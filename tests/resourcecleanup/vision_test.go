package resourcecleanup

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// visionSources are the sources of the end-to-end tests, one vision server
// each; cam-b's server is the one that freezes.
var visionSources = []string{"cam-a", "cam-b", "cam-c"}

// visionWorkflow starts a server per source, adds a client for each to a
// DataSourceManager, fetches frames from every source and opens a detection
// stream on each, reading a few detections: a manager in the middle of its
// work. The servers are closed by the caller (stopServers), so that the test
// can check for leaks after they are gone.
func visionWorkflow(t *testing.T) (*vision.DataSourceManager, map[string]*visiontest.Server, map[string]*consumer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m := vision.NewDataSourceManager()
	servers := make(map[string]*visiontest.Server)
	streams := make(map[string]*consumer)
	for _, name := range visionSources {
		srv, err := visiontest.Start(visiontest.WithDetectionInterval(5 * time.Millisecond))
		require.NoError(t, err)
		servers[name] = srv
		c, err := vision.NewClient(ctx, vision.Config{BaseURL: srv.URL})
		require.NoError(t, err)
		require.NoError(t, m.Add(name, c))
	}

	var reqs []vision.FrameRequest
	for _, name := range visionSources {
		for seq := range int64(3) {
			reqs = append(reqs, vision.FrameRequest{Source: name, Camera: "cam-a", Seq: seq})
		}
	}
	results, err := m.Frames(ctx, reqs...)
	require.NoError(t, err)
	for _, r := range results {
		require.NoError(t, r.Err, "frame %+v", r.FrameRequest)
		require.Equal(t, r.Seq, r.Frame.Seq)
	}

	for _, name := range visionSources {
		src, err := m.Get(name)
		require.NoError(t, err)
		dets, err := src.(*vision.VisionDataClient).Detections(context.Background(), "cam-b")
		require.NoError(t, err)
		for range 3 {
			d := <-dets
			require.NoError(t, d.Err)
		}
		streams[name] = consume(dets)
	}
	return m, servers, streams
}

// stopServers closes the servers, which releases every request they hold.
func stopServers(servers map[string]*visiontest.Server) {
	for _, srv := range servers {
		srv.Close()
	}
}

// waitAbandonedEmpty waits until runtime.Abandoned lists no step of the
// vision types.
func waitAbandonedEmpty(t *testing.T) {
	t.Helper()
	assert.Eventually(t, func() bool {
		return len(abandonedSteps("vision.VisionDataClient"))+len(abandonedSteps("vision.DataSourceManager")) == 0
	}, 10*time.Second, 5*time.Millisecond, "vision steps still abandoned: %v", runtime.Abandoned())
}

// TestVisionFrozenSource freezes one server in the middle of the workflow
// and closes the manager under a deadline: Close returns by it, the error
// names the frozen source and only it, the other sources close cleanly, and
// nothing leaks.
func TestVisionFrozenSource(t *testing.T) {
	m, servers, streams := visionWorkflow(t)
	defer stopServers(servers)

	// The fault strikes mid-workflow: cam-b's server stops answering,
	// while its stream is open and a frame request is on its way.
	servers["cam-b"].Freeze()
	fetchCtx, cancelFetch := context.WithTimeout(context.Background(), 200*time.Millisecond)
	results, err := m.Frames(fetchCtx,
		vision.FrameRequest{Source: "cam-a", Camera: "cam-b", Seq: 10},
		vision.FrameRequest{Source: "cam-b", Camera: "cam-b", Seq: 10},
		vision.FrameRequest{Source: "cam-c", Camera: "cam-b", Seq: 10},
	)
	cancelFetch()
	require.NoError(t, err)
	assert.NoError(t, results[0].Err, "cam-a still serves")
	assert.ErrorIs(t, results[1].Err, context.DeadlineExceeded, "cam-b is frozen")
	assert.NoError(t, results[2].Err, "cam-c still serves")

	const timeout = time.Second
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err = m.CloseContext(ctx)
	elapsed := time.Since(start)
	t.Logf("after %v: %v", elapsed, err)

	assert.Less(t, elapsed, timeout+slack, "CloseContext returned late")
	var ce *runtime.CleanupError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "vision.DataSourceManager", ce.Type)
	require.Len(t, ce.Tasks, 1, "only the frozen source fails")
	task := ce.Tasks[0]
	assert.Equal(t, `sources["cam-b"]`, task.Name)
	// Its own Close returns at the same deadline, a hair before or after
	// the manager's Grace ends.
	// Returning its own deadline's error, it reads timed out.
	assert.Contains(t, []runtime.State{runtime.StateTimedOut, runtime.StateAbandoned}, task.State)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), `sources["cam-b"]`)
	if task.State == runtime.StateTimedOut {
		// The client's own error says which of its steps the frozen server
		// held up: at least the telemetry flush, the first that talks to it.
		var inner *runtime.CleanupError
		require.ErrorAs(t, task.Err, &inner)
		assert.Equal(t, "vision.VisionDataClient", inner.Type)
		require.NotEmpty(t, inner.Tasks)
		assert.Equal(t, "telemetry", inner.Tasks[0].Name)
	}
	for _, name := range []string{"cam-a", "cam-c"} {
		assert.NotContains(t, err.Error(), fmt.Sprintf("%q", name))
	}

	// The healthy sources closed cleanly: session ended, telemetry flushed,
	// streams ended and their channels closed.
	for _, name := range []string{"cam-a", "cam-c"} {
		st := servers[name].Stats()
		assert.Equal(t, 1, st.SessionsEnded, "%s: session not ended", name)
		assert.NotEmpty(t, servers[name].Telemetry(), "%s: telemetry not flushed", name)
		streams[name].assertClosed(t, name)
	}
	assert.Zero(t, servers["cam-b"].Stats().SessionsEnded, "cam-b's server is frozen: its session cannot have ended")
	assert.ErrorIs(t, m.Add("late", vision.CloserSource(nopCloser{})), runtime.ErrClosed)
	assert.Nil(t, m.Names(), "Names after Close")

	// cam-b's client cancelled its own context in its late steps: its
	// stream ends even though the server still holds the request.
	streams["cam-b"].assertClosed(t, "cam-b")
	waitAbandonedEmpty(t)
	stopServers(servers)
	goleak.VerifyNone(t)
}

// TestVisionFrozenSourceRollback is the same workflow with the rollback flag:
// Close waits for the frozen server, however long, and succeeds once it
// thaws.
func TestVisionFrozenSourceRollback(t *testing.T) {
	t.Cleanup(runtime.SetDeadlines(false))
	m, servers, streams := visionWorkflow(t)
	defer stopServers(servers)

	servers["cam-b"].Freeze()
	const thaw = 1500 * time.Millisecond // past every step's budget, which the flag turns off
	timer := time.AfterFunc(thaw, servers["cam-b"].Thaw)
	defer timer.Stop()

	start := time.Now()
	err := m.Close()
	elapsed := time.Since(start)
	t.Logf("after %v: %v", elapsed, err)
	assert.NoError(t, err)
	assert.GreaterOrEqual(t, elapsed, thaw, "Close returned before the server thawed")
	assert.Less(t, elapsed, thaw+slack)
	for _, name := range visionSources {
		assert.Equal(t, 1, servers[name].Stats().SessionsEnded, "%s: session not ended", name)
		streams[name].assertClosed(t, name)
	}
	assert.Empty(t, runtime.Abandoned())
	stopServers(servers)
	goleak.VerifyNone(t)
}

// A consumer reads a detection stream until its channel is closed, as a
// well-behaved application does.
type consumer struct {
	done chan struct{}
	n    int // detections read; valid once done is closed
}

func consume(dets <-chan vision.Detection) *consumer {
	c := &consumer{done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for range dets {
			c.n++
		}
	}()
	return c
}

// assertClosed fails if the stream's channel is not closed soon.
func (c *consumer) assertClosed(t *testing.T, name string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Errorf("%s: the detection channel is still open", name)
	}
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }
