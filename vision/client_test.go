package vision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newTestClient opens a client on srv and closes it in t.Cleanup.
func newTestClient(t testing.TB, srv *visiontest.Server, cfg Config) *VisionDataClient {
	t.Helper()
	cfg.BaseURL = srv.URL
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := NewClient(ctx, cfg)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// waitFor polls cond for up to 5s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestClientLifecycle(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	c := newTestClient(t, srv, Config{})
	ctx := ctxFor(t, 5*time.Second)

	cams, err := c.Cameras(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cams) != len(visiontest.Cameras) {
		t.Fatalf("Cameras = %v", cams)
	}
	for _, cam := range cams {
		f, err := c.Frame(ctx, cam.Name, 3)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := visiontest.FrameImage(cam.Name)
		if f.Format != cam.Format || f.Width != cam.Width || f.Height != cam.Height || f.Size() != len(want) {
			t.Errorf("Frame(%s) = %s %dx%d %dB; camera %+v, %d bytes", cam.Name, f.Format, f.Width, f.Height, f.Size(), cam, len(want))
		}
		if ts := visiontest.Epoch.Add(3 * visiontest.FrameInterval); !f.Timestamp.Equal(ts) {
			t.Errorf("Frame(%s).Timestamp = %v, want %v", cam.Name, f.Timestamp, ts)
		}
		again, err := c.Frame(ctx, cam.Name, 3)
		if err != nil || again != f {
			t.Errorf("second Frame(%s) = %p, %v; want the cached %p", cam.Name, again, err, f)
		}
	}
	if got := srv.Stats().Requests[visiontest.EndpointFrame]; got != len(cams) {
		t.Errorf("server saw %d frame requests, want %d (one per camera, then the cache)", got, len(cams))
	}

	dets, err := c.Detections(ctx, "yard/north")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		d := <-dets
		if d.Err != nil || d.Camera != "yard/north" || d.Seq != int64(i) {
			t.Fatalf("detection %d = %+v", i, d)
		}
	}

	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for range dets { // closed by Close, after what was read
	}
	st := srv.Stats()
	if st.SessionsEnded != 1 || st.SessionsActive != 0 {
		t.Errorf("after Close: stats %+v, want the session ended", st)
	}
	tel := srv.Telemetry()
	if len(tel) != 1 {
		t.Fatalf("telemetry reports = %d, want 1", len(tel))
	}
	if got := tel[0].Counters; got["frames_fetched"] != int64(len(cams)) || got["frame_cache_hits"] != int64(len(cams)) || got["detections"] < 5 {
		t.Errorf("telemetry counters = %v", got)
	}

	if _, err := c.Cameras(ctx); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Cameras after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Frame(ctx, "cam-a", 1); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Frame after Close: %v, want ErrClosed", err)
	}
	if _, err := c.Detections(ctx, "cam-a"); !errors.Is(err, runtime.ErrClosed) {
		t.Errorf("Detections after Close: %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewClientErrors(t *testing.T) {
	srv := visiontest.NewServer(t)
	for _, base := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := NewClient(context.Background(), Config{BaseURL: base}); err == nil {
			t.Errorf("NewClient(%q) succeeded", base)
		}
	}
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointOpenSession, Kind: visiontest.Status5xx, Count: 1})
	_, err := NewClient(context.Background(), Config{BaseURL: srv.URL})
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != 503 {
		t.Errorf("NewClient on a failing server: %v, want a 503 StatusError", err)
	}
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointOpenSession, Kind: visiontest.Hang})
	_, err = NewClient(ctxFor(t, 50*time.Millisecond), Config{BaseURL: srv.URL})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("NewClient on a hung server: %v, want deadline exceeded", err)
	}
}

// TestKeepalive runs in real time: the session lives 450ms, the client
// keeps it alive every 150ms (a third of it; the pace is at least 100ms),
// so a keepalive may be 300ms late on a loaded machine.
func TestKeepalive(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithTokenTTL(450*time.Millisecond))
	c := newTestClient(t, srv, Config{})
	time.Sleep(time.Second) // more than two lifetimes of the token
	if _, err := c.Cameras(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatalf("Cameras after the token's first lifetime: %v", err)
	}
	if n := srv.Stats().Keepalives; n < 2 {
		t.Errorf("keepalives = %d, want at least 2", n)
	}
}

func TestDetectionsChannelCloses(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	c := newTestClient(t, srv, Config{})

	t.Run("stream ends", func(t *testing.T) {
		if err := c.guard.Enter(); err != nil {
			t.Fatal(err)
		}
		dets, err := c.detections(context.Background(), context.Background(), "cam-a", "limit=3")
		c.guard.Leave()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for d := range dets {
			if d.Err != nil {
				t.Fatal(d.Err)
			}
			n++
		}
		if n != 3 {
			t.Errorf("got %d detections, want 3", n)
		}
	})
	t.Run("ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		dets, err := c.Detections(ctx, "cam-b")
		if err != nil {
			t.Fatal(err)
		}
		<-dets
		cancel()
		waitClosed(t, dets)
	})
	t.Run("ctx ends while the consumer does not read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		dets, err := c.Detections(ctx, "cam-b")
		if err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a full channel", func() bool { return len(dets) == cap(dets) })
		cancel()
		waitClosed(t, dets)
	})
	t.Run("unknown camera", func(t *testing.T) {
		_, err := c.Detections(context.Background(), "nope")
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != 404 {
			t.Errorf("err = %v, want a 404 StatusError", err)
		}
	})
	if n := srv.Stats().StreamsActive; n != 0 {
		waitFor(t, "streams to end on the server", func() bool { return srv.Stats().StreamsActive == 0 })
	}
}

// waitClosed reads ch until it is closed, failing after 5s.
func waitClosed[T any](t testing.TB, ch <-chan T) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("channel not closed")
		}
	}
}

// TestCloseRacesCalls calls every method while Close runs: each call either
// works or returns ErrClosed, never panics on a dropped field.
func TestCloseRacesCalls(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	for range 5 {
		c := newTestClient(t, srv, Config{})
		var wg sync.WaitGroup
		start := make(chan struct{})
		errs := make(chan error, 100)
		for i := range 8 {
			wg.Go(func() {
				<-start
				ctx := context.Background()
				for j := range 5 {
					var err error
					switch (i + j) % 3 {
					case 0:
						_, err = c.Cameras(ctx)
					case 1:
						_, err = c.Frame(ctx, "cam-a", int64(j))
					case 2:
						var dets <-chan Detection
						if dets, err = c.Detections(ctx, "cam-b"); err == nil {
							<-dets
						}
					}
					if err != nil && !errors.Is(err, runtime.ErrClosed) {
						errs <- err
					}
				}
			})
		}
		close(start)
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			// A call that entered before Close may see its request cut
			// short by the teardown; it must not be anything stranger.
			if !strings.Contains(err.Error(), "vision:") {
				t.Errorf("call racing Close: %v", err)
			}
		}
	}
}

// TestTokenNeverRevealed collects every error and log line a client produces
// against misbehaving servers, and its formatted forms, and looks for the
// session token in them.
func TestTokenNeverRevealed(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	var logs strings.Builder
	var logMu sync.Mutex
	c := newTestClient(t, srv, Config{
		KeepaliveInterval: 5 * time.Millisecond,
		Logger:            newTestLogger(&logMu, &logs),
	})
	tokens := srv.Tokens()
	if len(tokens) != 1 {
		t.Fatalf("tokens = %d", len(tokens))
	}
	token := tokens[0]
	echo := []byte(fmt.Sprintf(`{"error":"token %s is not welcome here"}`, token))

	var texts []string
	collect := func(err error) {
		if err != nil {
			texts = append(texts, err.Error(), fmt.Sprintf("%+v %#v", err, err))
		}
	}
	ctx := ctxFor(t, 10*time.Second)
	for i, f := range []visiontest.Fault{
		{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Status5xx, Body: echo},
		{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Malformed, Body: []byte(token)},
		{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Reset},
		{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Status5xx, Body: echo},
		{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Malformed, Body: []byte(token)},
		{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Status5xx, Body: echo},
		{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Malformed, Body: []byte(token + "\n")},
	} {
		srv.Clear()
		srv.Inject(f)
		_, err := c.Cameras(ctx)
		collect(err)
		_, err = c.Frame(ctx, "cam-a", int64(100+i)) // not cached
		collect(err)
		dctx, stop := context.WithCancel(ctx)
		if dets, err := c.Detections(dctx, "cam-a"); err != nil {
			collect(err)
		} else {
			for d := range dets {
				collect(d.Err)
				if d.Err == nil {
					break
				}
			}
		}
		stop()
	}
	srv.Clear()
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointKeepalive, Kind: visiontest.Status5xx, Body: echo})
	waitFor(t, "a failed keepalive", func() bool {
		logMu.Lock()
		defer logMu.Unlock()
		return strings.Contains(logs.String(), "keepalive failed")
	})
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointTelemetry, Kind: visiontest.Status5xx, Body: echo})
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointEndSession, Kind: visiontest.Status5xx, Body: echo})
	texts = append(texts, fmt.Sprintf("%v %+v %#v %#v", c, c, c.api, c.api.hc), fmt.Sprint(c.api.getToken()))
	// The runtime logs failed teardown steps through slog.Default.
	defaultLogger := slog.Default()
	slog.SetDefault(newTestLogger(&logMu, &logs))
	err := c.Close()
	// The runtime logs after the fact: wait for the records of this Close.
	flushCtx, cancelFlush := context.WithTimeout(context.Background(), 10*time.Second)
	require.NoError(t, runtime.Flush(flushCtx))
	cancelFlush()
	slog.SetDefault(defaultLogger)
	if err == nil {
		t.Error("Close succeeded against a failing server")
	}
	collect(err)
	logMu.Lock()
	texts = append(texts, logs.String())
	logMu.Unlock()

	if len(texts) < 15 {
		t.Fatalf("only %d texts collected", len(texts))
	}
	if !strings.Contains(texts[len(texts)-1], "cleanup step failed") {
		t.Errorf("the runtime's log events were not captured:\n%s", texts[len(texts)-1])
	}
	for _, s := range texts {
		if strings.Contains(s, token) {
			t.Errorf("the session token leaked: %s", s)
		}
	}
}
