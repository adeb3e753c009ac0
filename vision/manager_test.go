package vision

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// countingCloser is a plain io.Closer source.
type countingCloser struct{ closed atomic.Int32 }

func (c *countingCloser) Close() error {
	c.closed.Add(1)
	return nil
}

func TestDataSourceManager(t *testing.T) {
	srvA := visiontest.NewServer(t)
	srvB := visiontest.NewServer(t)
	m := NewDataSourceManager()
	t.Cleanup(func() { _ = m.Close() })

	a, b := newTestClient(t, srvA, Config{}), newTestClient(t, srvB, Config{})
	other := &countingCloser{}
	for name, src := range map[string]Source{"site-a": a, "site-b": b, "db": CloserSource(other)} {
		if err := m.Add(name, src); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Add("site-a", a); err == nil {
		t.Error("adding a name twice succeeded")
	}
	if got := m.Names(); !slices.Equal(got, []string{"db", "site-a", "site-b"}) {
		t.Errorf("Names = %v", got)
	}
	if src, err := m.Get("site-b"); err != nil || src != Source(b) {
		t.Errorf("Get(site-b) = %v, %v", src, err)
	}
	if _, err := m.Get("nope"); !errors.Is(err, ErrNoSource) {
		t.Errorf("Get(nope) = %v, want ErrNoSource", err)
	}

	ctx := ctxFor(t, 5*time.Second)
	results, err := m.Frames(ctx,
		FrameRequest{"site-a", "cam-a", 1},
		FrameRequest{"site-b", "cam-b", 2},
		FrameRequest{"site-b", "yard/north", 3},
		FrameRequest{"db", "cam-a", 1},
		FrameRequest{"nope", "cam-a", 1},
	)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results[:3] {
		if r.Err != nil || r.Frame == nil || r.Frame.Camera != r.Camera || r.Frame.Seq != r.Seq {
			t.Errorf("result %d = %+v", i, r)
		}
	}
	if results[3].Err == nil || results[4].Err == nil || !errors.Is(results[4].Err, ErrNoSource) {
		t.Errorf("results for a non-frame source and a missing one: %v; %v", results[3].Err, results[4].Err)
	}

	if err := m.Remove(ctx, "site-a"); err != nil {
		t.Errorf("Remove: %v", err)
	}
	if st := srvA.Stats(); st.SessionsEnded != 1 {
		t.Errorf("Remove did not close the source: %+v", st)
	}
	if err := m.Remove(ctx, "site-a"); !errors.Is(err, ErrNoSource) {
		t.Errorf("second Remove: %v, want ErrNoSource", err)
	}

	if err := m.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if st := srvB.Stats(); st.SessionsEnded != 1 {
		t.Errorf("Close did not close site-b: %+v", st)
	}
	if other.closed.Load() != 1 {
		t.Errorf("Close closed the io.Closer source %d times", other.closed.Load())
	}
	if err := m.Add("late", a); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
	if _, err := m.Frames(ctx, FrameRequest{"site-b", "cam-a", 1}); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Frames after Close: %v, want ErrClosed", err)
	}
}

// TestDataSourceManagerOneSourceHangs freezes one of three servers: the
// manager closes the other two, returns by its deadline, and names the
// source that hung.
func TestDataSourceManagerOneSourceHangs(t *testing.T) {
	m := NewDataSourceManager()
	t.Cleanup(func() { _ = m.Close() })
	var frozen *visiontest.Server
	servers := map[string]*visiontest.Server{}
	for _, name := range []string{"cam-a", "cam-b", "cam-c"} {
		srv := visiontest.NewServer(t)
		servers[name] = srv
		c := newTestClient(t, srv, Config{})
		if _, err := c.Frame(ctxFor(t, 5*time.Second), "cam-a", 1); err != nil {
			t.Fatal(err)
		}
		if err := m.Add(name, c); err != nil {
			t.Fatal(err)
		}
	}
	frozen = servers["cam-b"]
	frozen.Freeze()
	t.Cleanup(frozen.Thaw)

	const deadline = 400 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	err := m.CloseContext(ctx)
	if elapsed := time.Since(start); elapsed > deadline+slack {
		t.Errorf("CloseContext took %v, deadline %v", elapsed, deadline)
	}
	var ce *runtime.CleanupError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want a *runtime.CleanupError", err)
	}
	if ce.Type != "vision.DataSourceManager" || len(ce.Tasks) != 1 || ce.Tasks[0].Name != `sources["cam-b"]` {
		t.Errorf("CleanupError = %v, want only sources[\"cam-b\"]", err)
	}
	for name, srv := range servers {
		if name == "cam-b" {
			continue
		}
		if st := srv.Stats(); st.SessionsEnded != 1 || len(srv.Telemetry()) != 1 {
			t.Errorf("%s: not closed cleanly next to a hung source: %+v", name, st)
		}
	}
	t.Log(err)
}
