package vision

// Hostile servers: each test here is a way a server (or whoever answers at
// BaseURL or behind a redirect) could take the client down or learn its
// token, from issue 20, most security-relevant first.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// pngBomb returns a small, valid-looking PNG whose header claims w x h
// pixels: a 1x1 image with its IHDR rewritten.
func pngBomb(t testing.TB, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	// 8 bytes of signature, then IHDR: length(4) "IHDR"(4) width(4) height(4) ...(5) crc(4).
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestFramePixelLimit: a 72-byte PNG that claims 16384x16384 pixels made
// one Frame allocate 256 MiB before it failed to decode. Frame must read
// the size from the header and refuse it without decoding.
func TestFramePixelLimit(t *testing.T) {
	bomb := pngBomb(t, 16384, 16384)
	if cfg, _, err := image.DecodeConfig(bytes.NewReader(bomb)); err != nil || cfg.Width != 16384 {
		t.Fatalf("the bomb's header does not decode: %v %v", cfg, err)
	}
	srv := visiontest.NewServer(t)
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointFrame, Camera: "cam-a", Kind: visiontest.Malformed, Body: bomb})
	ctx := ctxFor(t, 10*time.Second)

	for _, cfg := range []Config{{}, {HeaderOnly: true}} {
		t.Run(fmt.Sprintf("%+v", cfg), func(t *testing.T) {
			c := newTestClient(t, srv, cfg)
			var before, after goruntime.MemStats
			goruntime.GC()
			goruntime.ReadMemStats(&before)
			_, err := c.Frame(ctx, "cam-a", 1)
			goruntime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "16384x16384") {
				t.Errorf("Frame of a 16384x16384 PNG: %v, want ErrTooLarge naming the size", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
				t.Errorf("Frame of a %d-byte bomb allocated %d MiB", len(bomb), alloc>>20)
			}
			// An image within the limit is still served.
			if f, err := c.Frame(ctx, "cam-b", 1); err != nil || f.Width == 0 {
				t.Errorf("Frame(cam-b) = %v, %v", f, err)
			}
		})
	}

	t.Run("just above a small limit", func(t *testing.T) {
		srv.Clear()
		c := newTestClient(t, srv, Config{MaxFramePixels: 100})
		cam, _ := visiontest.FrameImage("cam-a")
		cfg, _, _ := image.DecodeConfig(bytes.NewReader(cam))
		if _, err := c.Frame(ctx, "cam-a", 2); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Frame of a %dx%d image with MaxFramePixels 100: %v, want ErrTooLarge", cfg.Width, cfg.Height, err)
		}
	})
}

// TestRedirectKeepsTokenAtOrigin: Go's client keeps the Authorization
// header on a redirect to the same host on another port (another program).
// The token goes only to BaseURL's scheme, host and port.
func TestRedirectKeepsTokenAtOrigin(t *testing.T) {
	ht := newHandlerTransport()
	f := newFakeAPI("tok-origin")
	c := newFakeClient(t, ht, f, Config{BaseURL: "http://vision.test:8080"})
	ht.handle("vision.test:8080", f)

	var mu sync.Mutex
	got := map[string]string{} // host -> Authorization it saw
	record := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Host] = r.Header.Get("Authorization")
		mu.Unlock()
		fmt.Fprint(w, `{"cameras":[]}`)
	}
	for _, host := range []string{"vision.test:9090", "vision.test", "other.test:8080", "VISION.test:8080"} {
		ht.handle(host, http.HandlerFunc(record))
	}
	ctx := ctxFor(t, 5*time.Second)
	for _, target := range []string{
		"http://vision.test:9090/v1/cameras",  // same host, another port
		"http://vision.test/v1/cameras",       // same host, port 80
		"https://vision.test:8080/v1/cameras", // another scheme
		"http://other.test:8080/v1/cameras",   // another host
	} {
		f.route("GET /v1/cameras", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target, http.StatusFound)
		})
		_, _ = c.Cameras(ctx) // https fails: no handler; what matters is what was sent
	}
	mu.Lock()
	defer mu.Unlock()
	for host, auth := range got {
		if auth != "" {
			t.Errorf("a redirect to %s carried %q", host, auth)
		}
	}
	if len(got) != 3 {
		t.Errorf("redirect targets reached: %v, want 3", got)
	}

	// A redirect within the origin keeps the token: the server needs it.
	f.route("GET /v1/cameras", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/v1/cameras/list", http.StatusFound)
	})
	f.route("GET /v1/cameras/list", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"cameras":[{"name":"x"}]}`)
	})
	if cams, err := c.Cameras(ctx); err != nil || len(cams) != 1 {
		t.Errorf("Cameras redirected within the origin: %v, %v", cams, err)
	}
}

// TestTokenNotInErrors: a server echoes the token where the client quotes
// what it got (a detection's time, a frame's Content-Type, a redirect URL
// in a wrapped *url.Error), and after rotating it; BaseURL carries a
// password. No error, nor any error it wraps, may hold them.
func TestTokenNotInErrors(t *testing.T) {
	const (
		tok1 = "tok1-Secret_first.token"
		tok2 = "tok2-Secret_second.token"
	)
	secrets := []string{tok1, tok2, "tok1-Secret", "tok2-Secret"}
	ht := newHandlerTransport()
	f := newFakeAPI(tok1, tok2)
	c := newFakeClient(t, ht, f, Config{})
	ctx := ctxFor(t, 5*time.Second)
	echo := func(w http.ResponseWriter, r *http.Request) {
		// Echo every token it has issued, in the order it issued them.
		f.mu.Lock()
		issued := strings.Join(f.tokens[:f.current+1], " and ")
		f.mu.Unlock()
		http.Error(w, `{"error":"tokens `+issued+` are unwelcome"}`, http.StatusForbidden)
	}

	t.Run("detection time", func(t *testing.T) {
		f.route("GET /v1/cameras/cam-a/detections", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"camera":"cam-a","seq":1,"time":%q}`+"\n", tok1)
		})
		dets, err := c.Detections(ctx, "cam-a")
		if err != nil {
			t.Fatal(err)
		}
		d := <-dets
		for range dets {
		}
		if !errors.Is(d.Err, ErrBadResponse) {
			t.Fatalf("detection with a bad time: %+v, want ErrBadResponse", d)
		}
		assertNoSecret(t, d.Err, secrets...)
	})
	t.Run("frame content type", func(t *testing.T) {
		f.route("GET /v1/cameras/cam-a/frames/1", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/"+tok1)
			fmt.Fprint(w, "not an image")
		})
		_, err := c.Frame(ctx, "cam-a", 1)
		if !errors.Is(err, ErrBadImage) {
			t.Fatalf("Frame: %v, want ErrBadImage", err)
		}
		assertNoSecret(t, err, secrets...)
	})
	t.Run("redirect to a URL with the token", func(t *testing.T) {
		f.route("GET /v1/cameras", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://gone.test/steal?t="+tok1, http.StatusFound)
		})
		_, err := c.Cameras(ctx)
		if err == nil {
			t.Fatal("Cameras redirected to a dead host succeeded")
		}
		assertNoSecret(t, err, secrets...)
	})
	t.Run("status message", func(t *testing.T) {
		f.route("GET /v1/cameras", echo)
		_, err := c.Cameras(ctx)
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
			t.Fatalf("Cameras: %v, want a 403", err)
		}
		assertNoSecret(t, err, secrets...)
	})

	t.Run("after rotation", func(t *testing.T) {
		var logs strings.Builder
		var logMu sync.Mutex
		ht := newHandlerTransport()
		f = newFakeAPI(tok1, tok2) // echo reads f
		f.route("GET /v1/cameras", echo)
		synctest.Test(t, func(t *testing.T) {
			c := newFakeClient(t, ht, f, Config{Logger: newTestLogger(&logMu, &logs)})
			time.Sleep(21 * time.Second) // one keepalive: the server rotates to tok2
			if got := f.token(); got != tok2 {
				t.Fatalf("token = %q, want the rotation to %q", got, tok2)
			}
			_, err := c.Cameras(context.Background())
			if err == nil {
				t.Fatal("Cameras succeeded")
			}
			assertNoSecret(t, err, secrets...)
			f.route("POST /v1/session/keepalive", echo)
			time.Sleep(21 * time.Second)
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		})
		logMu.Lock()
		defer logMu.Unlock()
		if !strings.Contains(logs.String(), "keepalive failed") {
			t.Errorf("no failed keepalive logged: %s", logs.String())
		}
		for _, s := range secrets {
			if strings.Contains(logs.String(), s) {
				t.Errorf("a token in the log: %s", logs.String())
			}
		}
	})

	t.Run("BaseURL password", func(t *testing.T) {
		const pw = "hunter2-pw"
		for _, base := range []string{
			"ftp://user:" + pw + "@vision.test",      // bad scheme
			"http://user:" + pw + "@",                // no host
			"http://user:" + pw + "@vision.test:x/",  // bad port: does not parse
			"http://user:" + pw + "@vision test/",    // bad host: does not parse
			"http://user:" + pw + "@vision.test/%zz", // bad escape: does not parse
		} {
			_, err := NewClient(context.Background(), Config{BaseURL: base})
			if err == nil || !strings.Contains(err.Error(), "bad BaseURL") {
				t.Errorf("NewClient(%q): %v, want a bad BaseURL error", strings.ReplaceAll(base, pw, "PW"), err)
				continue
			}
			assertNoSecret(t, err, pw)
		}
		// A server that echoes it.
		ht := newHandlerTransport()
		f := newFakeAPI("tok-pw")
		f.route("GET /v1/cameras", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"your password is `+pw+` (Basic dXNlcjpodW50ZXIyLXB3)"}`, http.StatusForbidden)
		})
		var basic string
		ht.handle("vision.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/v1/sessions" {
				basic = r.Header.Get("Authorization")
			}
			f.ServeHTTP(w, r)
		}))
		c, err := newClient(context.Background(), Config{BaseURL: "http://user:" + pw + "@vision.test", Logger: slog.New(slog.DiscardHandler)}, ht)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		if want := "Basic dXNlcjpodW50ZXIyLXB3"; basic != want { // user:hunter2-pw
			t.Errorf("opening the session sent %q, want BaseURL's user and password, %q", basic, want)
		}
		_, err = c.Cameras(ctx)
		if err == nil {
			t.Fatal("Cameras succeeded")
		}
		assertNoSecret(t, err, pw, "dXNlcjpodW50ZXIyLXB3")
		if s := fmt.Sprintf("%v %+v %#v %+v %#v", c, c, c.cfg, c.api, c.api); strings.Contains(s, pw) {
			t.Errorf("the password in the client's formatted form: %s", s)
		}
	})
}

// TestCloseEndsCallsInFlight: Cameras, Frame and Detections with a context
// without a deadline, against a server that stalls, end when Close begins,
// with runtime.ErrClosed; Close does not wait half its deadline for them.
func TestCloseEndsCallsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakeServer()
		c, err := newClient(context.Background(), Config{BaseURL: "http://vision.invalid", Logger: slog.New(slog.DiscardHandler)}, f)
		if err != nil {
			t.Fatal(err)
		}
		f.freeze()
		defer f.unfreeze()
		errs := make(chan error, 3)
		go func() { _, err := c.Cameras(context.Background()); errs <- err }()
		go func() { _, err := c.Frame(context.Background(), "cam-a", 1); errs <- err }()
		go func() { _, err := c.Detections(context.Background(), "cam-a"); errs <- err }()
		synctest.Wait() // all three are waiting for the server
		start := time.Now()
		done := closeAsync(c)
		synctest.Wait()
		for range 3 {
			select {
			case err := <-errs:
				if !errors.Is(err, runtime.ErrClosed) || !strings.HasPrefix(err.Error(), "vision: ") {
					t.Errorf("call cut short by Close: %v, want a vision error wrapping ErrClosed", err)
				}
			default:
				t.Fatal("a call still runs after Close began")
			}
		}
		err = <-done
		// The frozen server holds only the flush and the session end, 1s each.
		if elapsed := time.Since(start); elapsed != 2*time.Second {
			t.Errorf("Close took %v, want 2s: %v", elapsed, err)
		}
	})
}

// TestCameraDotSegments: "." and ".." are not escaped by url.PathEscape
// and would become dot segments of the URL.
func TestCameraDotSegments(t *testing.T) {
	ht := newHandlerTransport()
	c := newFakeClient(t, ht, newFakeAPI("tok"), Config{})
	ctx := ctxFor(t, 5*time.Second)
	for _, name := range []string{".", "..", ""} {
		_, err := c.Frame(ctx, name, 1)
		if err == nil || !strings.Contains(err.Error(), "camera name") {
			t.Errorf("Frame(%q): %v, want an error about the camera name", name, err)
		}
		_, err = c.Detections(ctx, name)
		if err == nil || !strings.Contains(err.Error(), "camera name") {
			t.Errorf("Detections(%q): %v, want an error about the camera name", name, err)
		}
	}
	if got := ht.requests("/v1/cameras"); len(got) != 0 {
		t.Errorf("requests sent: %q", got)
	}
	// Names that only contain dots are names.
	if _, err := c.Frame(ctx, "...", 1); err == nil || strings.Contains(err.Error(), "camera name") {
		t.Errorf(`Frame("..."): %v, want the server's 404`, err)
	}
}

// TestKeepaliveFlood: a missing, zero, negative or huge session lifetime
// (317 years overflowed the interval) made the client send about 100
// keepalives a second.
func TestKeepaliveFlood(t *testing.T) {
	for _, tt := range []struct {
		lifetime string // expires_in_ms, "" for none
		want     int    // keepalives in 61s
	}{
		{"", 3},               // 20s by default
		{"0", 3},              //
		{"-5", 3},             //
		{"1e13", 0},           // not an int64: the open fails? no: see below
		{"10000000000000", 0}, // 317 years: 10 minutes at most
		{"9223372036854775807", 0},
		{"60000", 3}, // a third of a minute
		{"30", 610},  // 100ms at least: 10 a second, not 100
	} {
		t.Run(tt.lifetime, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ht := newHandlerTransport()
				f := newFakeAPI("tok")
				f.lifetime = tt.lifetime
				cfg := Config{BaseURL: "http://vision.test", Logger: slog.New(slog.DiscardHandler)}
				ht.handle("vision.test", f)
				c, err := newClient(context.Background(), cfg, ht)
				if tt.lifetime == "1e13" {
					// Not an integer: the server is broken.
					if !errors.Is(err, ErrBadResponse) {
						t.Errorf("open with expires_in_ms 1e13: %v, want ErrBadResponse", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(61 * time.Second)
				synctest.Wait()
				if n := f.keepaliveCount(); n != tt.want {
					t.Errorf("keepalives in 61s = %d, want %d", n, tt.want)
				}
				if err := c.Close(); err != nil {
					t.Error(err)
				}
			})
		})
	}
}

// TestKeepaliveBackoff: failed keepalives were retried every interval,
// each with a Warn log. They back off exponentially, to once a minute, and
// return to the interval after a success.
func TestKeepaliveBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs strings.Builder
		var logMu sync.Mutex
		ht := newHandlerTransport()
		f := newFakeAPI("tok")
		f.lifetime = "300" // a keepalive every 100ms
		f.keepaliveStatus = http.StatusServiceUnavailable
		newFakeClient(t, ht, f, Config{Logger: newTestLogger(&logMu, &logs)})
		time.Sleep(60 * time.Second)
		synctest.Wait()
		failed := f.keepaliveCount()
		if failed < 5 || failed > 12 {
			t.Errorf("%d failed keepalives in 60s, want 5 to 12 (exponential back-off from 100ms)", failed)
		}
		logMu.Lock()
		if n := strings.Count(logs.String(), "keepalive failed"); n != failed {
			t.Errorf("%d warnings for %d failed keepalives", n, failed)
		}
		logMu.Unlock()

		// The server recovers: within a minute the client is back at its pace.
		f.mu.Lock()
		f.keepaliveStatus = 0
		f.mu.Unlock()
		time.Sleep(time.Minute)
		synctest.Wait()
		before := f.keepaliveCount()
		time.Sleep(time.Second) // (before, before+1s]: ten ticks of 100ms, whatever their phase
		synctest.Wait()
		if n := f.keepaliveCount() - before; n != 10 {
			t.Errorf("%d keepalives in a second after recovery, want 10", n)
		}
	})
}

func TestBackoffSaturates(t *testing.T) {
	const maxDuration = time.Duration(1<<63 - 1)
	for _, tt := range []struct{ last, interval, want time.Duration }{
		{100 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond},
		{40 * time.Second, time.Second, time.Minute},
		{time.Hour, 2 * time.Hour, 2 * time.Hour},
		{maxDuration, maxDuration, maxDuration},
		{maxDuration / 2, maxDuration, maxDuration},
	} {
		if got := backoff(tt.last, tt.interval); got != tt.want {
			t.Errorf("backoff(%v, %v) = %v, want %v", tt.last, tt.interval, got, tt.want)
		}
	}
	for _, d := range []time.Duration{0, 1, 3, time.Second, maxDuration} {
		if j := jitter(d); j > d || j < d-d/4 {
			t.Errorf("jitter(%v) = %v", d, j)
		}
	}
}

// TestResponseHeadersBounded: response headers count against 64 KiB, not
// the transport's default 10 MiB.
func TestResponseHeadersBounded(t *testing.T) {
	srv := visiontest.NewServer(t)
	pad := strings.Repeat("x", 256<<10)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/cameras" {
			w.Header().Set("X-Pad", pad)
		}
		// Everything else goes to the real server.
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, srv.URL+r.URL.Path, r.Body)
		req.Header = r.Header
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer front.Close()
	defer http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	c, err := NewClient(ctxFor(t, 5*time.Second), Config{BaseURL: front.URL})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Cameras(ctxFor(t, 5*time.Second))
	if err == nil || !strings.Contains(err.Error(), "exceeded") {
		t.Errorf("Cameras with %d KiB of headers: %v, want an error", len(pad)>>10, err)
	}
}

func TestKeepalivePace(t *testing.T) {
	for _, tt := range []struct {
		interval time.Duration
		ms       int64
		want     time.Duration
	}{
		{0, 60000, 20 * time.Second},
		{0, 0, 20 * time.Second},
		{0, -1, 20 * time.Second},
		{0, math.MinInt64, 20 * time.Second},
		{0, 30, 100 * time.Millisecond},
		{0, 1800000, 10 * time.Minute},
		{0, 1800003, 10 * time.Minute},
		{0, math.MaxInt64, 10 * time.Minute},
		{0, math.MaxInt64 / 1000, 10 * time.Minute}, // overflows a Duration in ns
		{5 * time.Millisecond, 60000, 5 * time.Millisecond},
		{time.Nanosecond, 60000, time.Millisecond},
		{-time.Second, 60000, 20 * time.Second},
	} {
		if got := keepalivePace(tt.interval, tt.ms); got != tt.want {
			t.Errorf("keepalivePace(%v, %d) = %v, want %v", tt.interval, tt.ms, got, tt.want)
		}
	}
}

// TestCloseEndsCallsInFlightNetwork is TestCloseEndsCallsInFlight over the
// network: the server hangs the calls but not the teardown's requests, so
// Close is quick. Real time: Close within 1s (it was 2.5s, half its
// deadline, waiting for the calls, which then hung on).
func TestCloseEndsCallsInFlightNetwork(t *testing.T) {
	srv := visiontest.NewServer(t)
	c := newTestClient(t, srv, Config{})
	for _, ep := range []visiontest.Endpoint{visiontest.EndpointCameras, visiontest.EndpointFrame, visiontest.EndpointDetections} {
		srv.Inject(visiontest.Fault{Endpoint: ep, Kind: visiontest.Hang})
	}
	errs := make(chan error, 3)
	go func() { _, err := c.Cameras(context.Background()); errs <- err }()
	go func() { _, err := c.Frame(context.Background(), "cam-a", 1); errs <- err }()
	go func() { _, err := c.Detections(context.Background(), "cam-a"); errs <- err }()
	waitFor(t, "three requests at the server", func() bool {
		r := srv.Stats().Requests
		return r[visiontest.EndpointCameras]+r[visiontest.EndpointFrame]+r[visiontest.EndpointDetections] == 3
	})
	start := time.Now()
	err := c.Close()
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("Close took %v with three calls in flight", elapsed)
	}
	if err != nil {
		t.Errorf("Close: %v", err)
	}
	for range 3 {
		select {
		case err := <-errs:
			if !errors.Is(err, runtime.ErrClosed) {
				t.Errorf("call in flight at Close: %v, want ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a call still runs 5s after Close returned")
		}
	}
	if st := srv.Stats(); st.SessionsEnded != 1 {
		t.Errorf("stats %+v: want the session ended", st)
	}
}
