package vision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// hungSource is a FrameSource whose CloseContext ignores its context and
// returns only when released; its Frame takes a second of (fake) time.
type hungSource struct {
	release chan struct{}
	closed  atomic.Int32

	mu            sync.Mutex
	inFlight, max int
}

func newHungSource() *hungSource { return &hungSource{release: make(chan struct{})} }

func (s *hungSource) CloseContext(context.Context) error {
	<-s.release
	s.closed.Add(1)
	return nil
}

func (s *hungSource) Frame(ctx context.Context, camera string, seq int64) (*Frame, error) {
	s.mu.Lock()
	s.inFlight++
	s.max = max(s.max, s.inFlight)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	select {
	case <-time.After(time.Second):
		return &Frame{Camera: camera, Seq: seq}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TestDataSourceManagerAddDuringClose: an Add that entered before Close
// but reached the sources after the teardown took them returned nil, and
// the source was never closed. Add must return ErrClosed and leave the
// source to the caller.
//
// It runs in real time: goroutines blocked on a mutex are not durably
// blocked for testing/synctest. Close waits 500ms (half its deadline) for
// the Add in flight, then takes the sources; the test lets go of the lock
// Add waits for 200ms later, when the teardown waits for it too (a reader,
// it goes first).
func TestDataSourceManagerAddDuringClose(t *testing.T) {
	m := NewDataSourceManager()
	src := &countingCloser{}
	m.mu.Lock()
	added := make(chan error, 1)
	go func() { added <- m.Add("late", CloserSource(src)) }()
	time.Sleep(50 * time.Millisecond) // Add enters, then waits for mu
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		closed <- m.CloseContext(ctx)
	}()
	time.Sleep(700 * time.Millisecond)
	m.mu.Unlock()
	err := <-added
	<-closed
	switch {
	case err == nil && src.closed.Load() == 0:
		t.Fatal("Add during Close returned nil, and the manager never closed the source")
	case err != nil && !errors.Is(err, runtime.ErrClosed):
		t.Errorf("Add during Close: %v, want ErrClosed", err)
	case err != nil && src.closed.Load() != 0:
		t.Errorf("Add returned %v but the manager closed the source: the caller owns it", err)
	}
}

// TestDataSourceManagerRemoveHonoursContext: Remove of a source whose close
// hangs returns when its context ends, or when Close begins; Close waits
// for the source within its deadline.
func TestDataSourceManagerRemoveHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewDataSourceManager()
		a, b := newHungSource(), newHungSource()
		if err := m.Add("a", a); err != nil {
			t.Fatal(err)
		}
		if err := m.Add("b", b); err != nil {
			t.Fatal(err)
		}
		removed := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()
			removed <- m.Remove(ctx, "a")
		}()
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		select {
		case err := <-removed:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Remove of a hung source: %v, want DeadlineExceeded", err)
			}
		default:
			close(a.release)
			close(b.release)
			t.Fatal("Remove still runs after its context ended")
		}

		// A Remove without a deadline ends when Close begins.
		go func() { removed <- m.Remove(context.Background(), "b") }()
		synctest.Wait()
		done := make(chan error, 1)
		go func() { done <- m.Close() }()
		synctest.Wait()
		select {
		case err := <-removed:
			if !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("Remove cut short by Close: %v, want ErrClosed", err)
			}
		default:
			close(a.release)
			close(b.release)
			t.Fatal("Remove still runs after Close began")
		}
		// Close waits for the sources Remove left closing.
		time.Sleep(time.Second)
		synctest.Wait()
		select {
		case err := <-done:
			t.Fatalf("Close returned (%v) while removed sources were still closing", err)
		default:
		}
		close(a.release)
		close(b.release)
		if err := <-done; err != nil {
			t.Errorf("Close: %v", err)
		}
		if a.closed.Load() != 1 || b.closed.Load() != 1 {
			t.Errorf("sources closed %d and %d times, want once each", a.closed.Load(), b.closed.Load())
		}
	})
}

// TestDataSourceManagerFramesBounded: 300 requests ran 300 fetches (and
// opened 300 connections) at once.
func TestDataSourceManagerFramesBounded(t *testing.T) {
	for _, tt := range []struct {
		opts []ManagerOption
		want int
	}{{nil, 16}, {[]ManagerOption{WithMaxConcurrentFrames(3)}, 3}} {
		synctest.Test(t, func(t *testing.T) {
			m := NewDataSourceManager(tt.opts...)
			src := newHungSource()
			close(src.release)
			if err := m.Add("s", src); err != nil {
				t.Fatal(err)
			}
			reqs := make([]FrameRequest, 300)
			for i := range reqs {
				reqs[i] = FrameRequest{"s", "cam-a", int64(i)}
			}
			start := time.Now()
			results, err := m.Frames(context.Background(), reqs...)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			if src.max != tt.want {
				t.Errorf("at most %d fetches at once, want %d", src.max, tt.want)
			}
			if elapsed, want := time.Since(start), time.Duration((300+tt.want-1)/tt.want)*time.Second; elapsed != want {
				t.Errorf("Frames took %v, want %v", elapsed, want)
			}
			if err := m.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestClientMaxConns: concurrent Frame calls on one client share
// Config.MaxConns requests in flight.
func TestClientMaxConns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ht := newHandlerTransport()
		f := newFakeAPI("tok")
		f.route("GET /v1/cameras", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Second)
			fmt.Fprint(w, `{"cameras":[]}`)
		})
		c := newFakeClient(t, ht, f, Config{MaxConns: 4})
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				if _, err := c.Cameras(context.Background()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if ht.maxIn != 4 {
			t.Errorf("%d requests in flight at once, want 4", ht.maxIn)
		}
	})
}

// TestDataSourceManagerFramesEndAtClose: Frames with a context without a
// deadline ends when Close begins; the fetches not done have errors that
// wrap runtime.ErrClosed.
func TestDataSourceManagerFramesEndAtClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := NewDataSourceManager(WithMaxConcurrentFrames(2))
		src := newHungSource()
		close(src.release)
		if err := m.Add("s", src); err != nil {
			t.Fatal(err)
		}
		got := make(chan []FrameResult, 1)
		go func() {
			results, _ := m.Frames(context.Background(), FrameRequest{"s", "cam-a", 1}, FrameRequest{"s", "cam-a", 2}, FrameRequest{"s", "cam-a", 3})
			got <- results
		}()
		synctest.Wait()
		start := time.Now()
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if elapsed := time.Since(start); elapsed != 0 {
			t.Errorf("Close took %v, waiting for Frames", elapsed)
		}
		for _, r := range <-got {
			if !errors.Is(r.Err, runtime.ErrClosed) {
				t.Errorf("result %+v: want an error wrapping ErrClosed", r)
			}
		}
	})
}
