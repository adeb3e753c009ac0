package vision

// The hang, before and after: with deadlines off (CLEANUPGEN_DEADLINES=off,
// the rollback flag) closing a client whose server froze, or whose
// detection consumer stopped reading, waits for as long as that lasts, as
// hand-written Close methods did; with deadlines on, Close returns by its
// deadline and names the steps that hung.
//
// These tests use the real network, which testing/synctest cannot treat as
// durably blocking, so they run in real time: "has not returned" is checked
// after 300ms, "returned by the deadline" with 150ms of slack for a loaded
// machine under -race. TestCloseHangSynctest runs the frozen-server case in a
// bubble, with exact timings, over an in-memory transport.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

const (
	stillHangingAfter = 300 * time.Millisecond
	slack             = 150 * time.Millisecond
)

// closeAsync runs Close in a goroutine and returns its result channel.
func closeAsync(c *VisionDataClient) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	return done
}

func assertHangs(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("Close returned (%v) although it should hang with deadlines off", err)
	case <-time.After(stillHangingAfter):
	}
}

func awaitClose(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return once released")
		return nil
	}
}

// hung reports whether a step's state says it did not return in time: it
// timed out against its own budget, or was still running when Close
// returned. Which of the two a step ends in depends on whether the step's
// goroutine returns before Close collects the results.
func hung(st runtime.State) bool {
	return st.String() == "timed out" || st.String() == "abandoned"
}

// stepNames returns the names of the steps a *runtime.CleanupError lists.
func stepNames(t *testing.T, err error) map[string]runtime.State {
	t.Helper()
	var ce *runtime.CleanupError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (%T), want a *runtime.CleanupError", err, err)
	}
	if ce.Type != "vision.VisionDataClient" {
		t.Errorf("CleanupError.Type = %q", ce.Type)
	}
	names := make(map[string]runtime.State)
	for _, task := range ce.Tasks {
		names[task.Name] = task.State
	}
	return names
}

func TestCloseFrozenServer(t *testing.T) {
	t.Run("deadlines off hangs until thaw", func(t *testing.T) {
		defer runtime.SetDeadlines(false)()
		srv := visiontest.NewServer(t)
		c := newTestClient(t, srv, Config{})
		if _, err := c.Frame(ctxFor(t, 5*time.Second), "cam-a", 1); err != nil {
			t.Fatal(err) // gives the telemetry something to flush
		}
		srv.Freeze()
		done := closeAsync(c)
		assertHangs(t, done)
		srv.Thaw()
		if err := awaitClose(t, done); err != nil {
			t.Errorf("Close after thaw: %v", err)
		}
		if tel := srv.Telemetry(); len(tel) != 1 {
			t.Errorf("telemetry reports = %d, want the flush that waited for the thaw", len(tel))
		}
	})

	t.Run("deadlines on returns by the deadline", func(t *testing.T) {
		srv := visiontest.NewServer(t)
		c := newTestClient(t, srv, Config{})
		if _, err := c.Frame(ctxFor(t, 5*time.Second), "cam-a", 1); err != nil {
			t.Fatal(err)
		}
		srv.Freeze()
		t.Cleanup(srv.Thaw)
		const deadline = 300 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		err := c.CloseContext(ctx)
		elapsed := time.Since(start)
		if elapsed > deadline+slack {
			t.Errorf("CloseContext took %v, deadline %v", elapsed, deadline)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
		}
		names := stepNames(t, err)
		if _, ok := names["telemetry"]; !ok {
			t.Errorf("the error does not name the telemetry flush that hung: %v", err)
		}
		t.Logf("%v (after %v)", err, elapsed)
	})
}

func TestCloseConsumerStoppedReading(t *testing.T) {
	open := func(t *testing.T) (*VisionDataClient, <-chan Detection) {
		srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
		c := newTestClient(t, srv, Config{DetectionBuffer: 4})
		dets, err := c.Detections(context.Background(), "cam-a")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the consumer's channel to fill", func() bool { return len(dets) == cap(dets) })
		// The server keeps sending: let the goroutine read the next
		// detection, so that it is blocked delivering it, not reading.
		time.Sleep(50 * time.Millisecond)
		return c, dets
	}

	t.Run("deadlines off hangs until the consumer reads", func(t *testing.T) {
		defer runtime.SetDeadlines(false)()
		c, dets := open(t)
		done := closeAsync(c)
		assertHangs(t, done)
		for range dets { // the consumer comes back and drains the channel
		}
		if err := awaitClose(t, done); err != nil {
			t.Errorf("Close: %v", err)
		}
	})

	t.Run("deadlines on times the drain out", func(t *testing.T) {
		c, dets := open(t)
		start := time.Now()
		err := c.Close()
		elapsed := time.Since(start)
		const budget = 500 * time.Millisecond // the streams step's timeout=
		if elapsed > budget+slack {
			t.Errorf("Close took %v, the streams step's budget is %v", elapsed, budget)
		}
		if st, ok := stepNames(t, err)["streams"]; !ok || !hung(st) {
			t.Errorf("streams step: %v, %v; want timed out or abandoned: %v", st, ok, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("errors.Is(err, DeadlineExceeded) = false for %v", err)
		}
		// The cancel step released the stream's goroutine, which closed the
		// channel after what it had delivered.
		waitClosed(t, dets)
		t.Logf("%v (after %v)", err, elapsed)
	})
}

// fakeServer is an in-memory vision server for synctest bubbles: when
// frozen, every request but session open blocks until thaw or until the
// request's context ends.
type fakeServer struct {
	mu         sync.Mutex
	frozen     bool
	thaw       chan struct{}
	flushes    int
	ended      int
	keepalives int
	lastAuth   string // the Authorization header of the last request
}

func newFakeServer() *fakeServer { return &fakeServer{thaw: make(chan struct{})} }

func (f *fakeServer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = true
}

func (f *fakeServer) unfreeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frozen = false
	close(f.thaw)
	f.thaw = make(chan struct{})
}

func (f *fakeServer) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	f.mu.Lock()
	frozen, thaw := f.frozen, f.thaw
	f.mu.Unlock()
	if frozen && req.URL.Path != "/v1/sessions" {
		select {
		case <-thaw:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
	}
	status, body := 200, "{}"
	f.mu.Lock()
	switch req.Method + " " + req.URL.Path {
	case "POST /v1/sessions":
		status, body = 201, `{"token":"fake-token","expires_in_ms":60000}`
	case "POST /v1/telemetry":
		status, body = 204, ""
		f.flushes++
	case "DELETE /v1/session":
		status, body = 204, ""
		f.ended++
	case "POST /v1/session/keepalive":
		f.keepalives++
		body = `{"token":"fake-token-` + strconv.Itoa(f.keepalives+1) + `"}` // rotates
	}
	f.lastAuth = req.Header.Get("Authorization")
	f.mu.Unlock()
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"application/json"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    req,
	}, nil
}

// TestCloseHangSynctest is TestCloseFrozenServer in a synctest bubble: time
// is fake, so "hangs" and "returns at the deadline" are exact.
func TestCloseHangSynctest(t *testing.T) {
	newClient := func(t *testing.T, f *fakeServer) *VisionDataClient {
		c, err := newClient(context.Background(), Config{BaseURL: "http://vision.invalid", Logger: slog.New(slog.DiscardHandler)}, f)
		if err != nil {
			t.Fatal(err)
		}
		c.telemetry.add("frames_fetched", 1)
		return c
	}

	t.Run("deadlines off", func(t *testing.T) {
		defer runtime.SetDeadlines(false)()
		synctest.Test(t, func(t *testing.T) {
			f := newFakeServer()
			c := newClient(t, f)
			f.freeze()
			done := closeAsync(c)
			time.Sleep(time.Hour)
			synctest.Wait()
			select {
			case err := <-done:
				t.Fatalf("Close returned after an hour of a frozen server: %v", err)
			default:
			}
			f.unfreeze()
			if err := <-done; err != nil {
				t.Errorf("Close: %v", err)
			}
			if f.flushes != 1 || f.ended != 1 {
				t.Errorf("flushes %d, sessions ended %d; want 1 and 1", f.flushes, f.ended)
			}
		})
	})

	t.Run("deadlines on", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			f := newFakeServer()
			c := newClient(t, f)
			f.freeze()
			start := time.Now()
			err := c.Close() // timeout=5s; telemetry and session have 1s each
			if elapsed := time.Since(start); elapsed != 2*time.Second {
				t.Errorf("Close took %v of fake time, want 2s: 1s for the flush, 1s for the session", elapsed)
			}
			names := stepNames(t, err)
			if !hung(names["telemetry"]) || !hung(names["session"]) {
				t.Errorf("steps %v, want telemetry and session timed out: %v", names, err)
			}
			if len(names) != 2 {
				t.Errorf("steps %v, want only telemetry and session to fail", names)
			}
			synctest.Wait()
			if got := runtime.Abandoned(); len(got) != 0 {
				t.Errorf("abandoned steps left: %v", got)
			}
		})
	})
}

// TestKeepaliveSynctest checks the keepalive's pace (a third of the
// session's lifetime) and that it takes a rotated token, in fake time.
func TestKeepaliveSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeServer()
		c, err := newClient(context.Background(), Config{BaseURL: "http://vision.invalid"}, f)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(61 * time.Second) // the session lives 60s: keepalives at 20s, 40s, 60s
		synctest.Wait()
		f.mu.Lock()
		n := f.keepalives
		f.mu.Unlock()
		if n != 3 {
			t.Errorf("keepalives in 61s = %d, want 3", n)
		}
		if _, err := c.Cameras(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.mu.Lock()
		auth := f.lastAuth
		f.mu.Unlock()
		if auth != "Bearer fake-token-4" {
			t.Errorf("Cameras sent %q, want the token of the last keepalive", auth)
		}
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}
