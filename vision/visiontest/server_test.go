package visiontest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// api is a bare HTTP client for the server's API; each test closes its idle
// connections so goleak sees no transport goroutines.
type api struct {
	t     *testing.T
	srv   *visiontest.Server
	hc    *http.Client
	token string
}

func newAPI(t *testing.T, srv *visiontest.Server) *api {
	t.Helper()
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	a := &api{t: t, srv: srv, hc: &http.Client{Transport: tr}}
	resp, body := a.do(context.Background(), "POST", "/v1/sessions", "")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("open session: %s %s", resp.Status, body)
	}
	var s struct{ Token string }
	if err := json.Unmarshal(body, &s); err != nil || s.Token == "" {
		t.Fatalf("open session: %q: %v", body, err)
	}
	a.token = s.Token
	return a
}

func (a *api) request(ctx context.Context, method, path, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, a.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	return a.hc.Do(req)
}

func (a *api) do(ctx context.Context, method, path, body string) (*http.Response, []byte) {
	a.t.Helper()
	resp, err := a.request(ctx, method, path, body)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		a.t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return resp, b
}

func TestAPI(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	ctx := context.Background()

	resp, body := a.do(ctx, "GET", "/v1/cameras", "")
	if resp.StatusCode != 200 {
		t.Fatalf("cameras: %s", resp.Status)
	}
	var list struct {
		Cameras []struct {
			Name, Format  string
			Width, Height int
		}
	}
	if err := json.Unmarshal(body, &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Cameras) != len(visiontest.Cameras) {
		t.Fatalf("got %d cameras, want %d", len(list.Cameras), len(visiontest.Cameras))
	}

	for _, cam := range list.Cameras {
		resp, body := a.do(ctx, "GET", "/v1/cameras/"+url.PathEscape(cam.Name)+"/frames/7", "")
		if resp.StatusCode != 200 {
			t.Fatalf("frame of %s: %s %s", cam.Name, resp.Status, body)
		}
		cfg, format, err := image.DecodeConfig(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("frame of %s: %v", cam.Name, err)
		}
		if format != cam.Format || cfg.Width != cam.Width || cfg.Height != cam.Height {
			t.Errorf("frame of %s: %s %dx%d, camera list says %s %dx%d", cam.Name, format, cfg.Width, cfg.Height, cam.Format, cam.Width, cam.Height)
		}
		if got := resp.Header.Get("Content-Type"); got != "image/"+cam.Format {
			t.Errorf("frame of %s: Content-Type %q", cam.Name, got)
		}
		ts, err := time.Parse(time.RFC3339Nano, resp.Header.Get("X-Frame-Timestamp"))
		if want := visiontest.Epoch.Add(7 * visiontest.FrameInterval); err != nil || !ts.Equal(want) {
			t.Errorf("frame of %s: timestamp %v (%v), want %v", cam.Name, ts, err, want)
		}
	}

	resp, _ = a.do(ctx, "GET", "/v1/cameras/nope/frames/1", "")
	if resp.StatusCode != 404 {
		t.Errorf("unknown camera: %s", resp.Status)
	}
	resp, _ = a.do(ctx, "GET", "/v1/cameras/cam-a/frames/-1", "")
	if resp.StatusCode != 400 {
		t.Errorf("negative seq: %s", resp.Status)
	}

	resp, body = a.do(ctx, "GET", "/v1/cameras/"+url.PathEscape("yard/north")+"/detections?from=5&limit=3", "")
	if resp.StatusCode != 200 {
		t.Fatalf("detections: %s", resp.Status)
	}
	lines := strings.Split(strings.TrimSpace(string(body)), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d detections, want 3: %q", len(lines), body)
	}
	for i, line := range lines {
		var d visiontest.Detection
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		if want := visiontest.MakeDetection("yard/north", int64(5+i)); d.Seq != want.Seq || d.Label != want.Label || d.Box != want.Box {
			t.Errorf("detection %d = %+v, want %+v", i, d, want)
		}
	}

	resp, _ = a.do(ctx, "POST", "/v1/session/keepalive", "")
	if resp.StatusCode != 200 {
		t.Errorf("keepalive: %s", resp.Status)
	}
	resp, _ = a.do(ctx, "POST", "/v1/telemetry", `{"counters":{"frames":3}}`)
	if resp.StatusCode != 204 {
		t.Errorf("telemetry: %s", resp.Status)
	}
	resp, _ = a.do(ctx, "DELETE", "/v1/session", "")
	if resp.StatusCode != 204 {
		t.Errorf("end session: %s", resp.Status)
	}
	resp, _ = a.do(ctx, "GET", "/v1/cameras", "")
	if resp.StatusCode != 401 {
		t.Errorf("cameras after end: %s, want 401", resp.Status)
	}

	tel := srv.Telemetry()
	if len(tel) != 1 || tel[0].Counters["frames"] != 3 || tel[0].Session != "s1" {
		t.Errorf("telemetry = %+v", tel)
	}
	st := srv.Stats()
	if st.SessionsOpened != 1 || st.SessionsEnded != 1 || st.SessionsActive != 0 || st.Keepalives != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestUnauthorized(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	a.token = "not-a-token"
	resp, _ := a.do(context.Background(), "GET", "/v1/cameras", "")
	if resp.StatusCode != 401 {
		t.Errorf("bad token: %s", resp.Status)
	}
	a.token = ""
	resp, _ = a.do(context.Background(), "GET", "/v1/cameras", "")
	if resp.StatusCode != 401 {
		t.Errorf("no token: %s", resp.Status)
	}
}

func TestSessionExpiry(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	srv.ExpireSessions()
	resp, _ := a.do(context.Background(), "GET", "/v1/cameras", "")
	if resp.StatusCode != 401 {
		t.Errorf("expired session: %s", resp.Status)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault visiontest.Fault
		path  string
		check func(t *testing.T, resp *http.Response, body []byte, err error)
	}{
		{
			name:  "status",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Status5xx, Status: 502},
			path:  "/v1/cameras",
			check: func(t *testing.T, resp *http.Response, _ []byte, err error) {
				if err != nil || resp.StatusCode != 502 {
					t.Errorf("got %v, %v; want 502", resp, err)
				}
			},
		},
		{
			name:  "reset",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Reset},
			path:  "/v1/cameras/cam-a/frames/1",
			check: func(t *testing.T, _ *http.Response, _ []byte, err error) {
				if err == nil {
					t.Error("no error from a reset connection")
				}
			},
		},
		{
			name:  "malformed json",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Malformed},
			path:  "/v1/cameras",
			check: func(t *testing.T, _ *http.Response, body []byte, err error) {
				var v any
				if err != nil || json.Unmarshal(body, &v) == nil {
					t.Errorf("body %q (%v) is valid JSON", body, err)
				}
			},
		},
		{
			name:  "truncated image",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Malformed},
			path:  "/v1/cameras/cam-a/frames/1",
			check: func(t *testing.T, _ *http.Response, body []byte, err error) {
				full, _ := visiontest.FrameImage("cam-a")
				if err != nil || len(body) != len(full)/2 {
					t.Errorf("got %d bytes (%v), want %d", len(body), err, len(full)/2)
				}
			},
		},
		{
			name:  "garbage body",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Malformed, Body: []byte("garbage")},
			path:  "/v1/cameras/cam-a/frames/1",
			check: func(t *testing.T, _ *http.Response, body []byte, err error) {
				if err != nil || string(body) != "garbage" {
					t.Errorf("got %q, %v", body, err)
				}
			},
		},
		{
			name:  "oversized",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Oversized, Size: 1 << 20},
			path:  "/v1/cameras",
			check: func(t *testing.T, resp *http.Response, body []byte, err error) {
				if err != nil || len(body) < 1<<20 || resp.ContentLength != -1 {
					t.Errorf("got %d bytes, Content-Length %d, %v", len(body), resp.ContentLength, err)
				}
			},
		},
		{
			name:  "slow",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Slow, Delay: 100 * time.Millisecond},
			path:  "/v1/cameras",
			check: func(t *testing.T, resp *http.Response, _ []byte, err error) {
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("got %v, %v", resp, err)
				}
			},
		},
		{
			name:  "other camera unaffected",
			fault: visiontest.Fault{Endpoint: visiontest.EndpointFrame, Camera: "cam-b", Kind: visiontest.Status5xx},
			path:  "/v1/cameras/cam-a/frames/1",
			check: func(t *testing.T, resp *http.Response, _ []byte, err error) {
				if err != nil || resp.StatusCode != 200 {
					t.Errorf("got %v, %v", resp, err)
				}
			},
		},
	}
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Clear()
			srv.Inject(tt.fault)
			start := time.Now()
			resp, err := a.request(context.Background(), "GET", tt.path, "")
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			tt.check(t, resp, body, err)
			if tt.fault.Kind == visiontest.Slow && time.Since(start) < tt.fault.Delay {
				t.Errorf("slow fault answered in %v", time.Since(start))
			}
		})
	}
	srv.Clear()
	resp, _ := a.do(context.Background(), "GET", "/v1/cameras", "")
	if resp.StatusCode != 200 {
		t.Errorf("after Clear: %s", resp.Status)
	}
}

func TestFaultCount(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Status5xx, Count: 2})
	var codes []int
	for range 3 {
		resp, _ := a.do(context.Background(), "GET", "/v1/cameras", "")
		codes = append(codes, resp.StatusCode)
	}
	if codes[0] != 503 || codes[1] != 503 || codes[2] != 200 {
		t.Errorf("codes = %v, want [503 503 200]", codes)
	}
}

// waitFor polls cond for up to 5s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestFreezeThaw(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	srv.Freeze()
	done := make(chan int, 1)
	go func() {
		resp, err := a.request(context.Background(), "GET", "/v1/cameras", "")
		if err != nil {
			done <- -1
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	select {
	case code := <-done:
		t.Fatalf("frozen server answered %d", code)
	case <-time.After(100 * time.Millisecond):
	}
	srv.Thaw()
	select {
	case code := <-done:
		if code != 200 {
			t.Errorf("after thaw: %d", code)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("thaw did not release the request")
	}
}

func TestHangReleasedByRequestContext(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Hang})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := a.request(ctx, "GET", "/v1/cameras", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
}

// TestCloseReleasesHangs checks that a server with hanging requests, a
// stalled stream and an endless stream still closes promptly.
func TestCloseReleasesHangs(t *testing.T) {
	for _, graceful := range []bool{false, true} {
		srv, err := visiontest.Start()
		if err != nil {
			t.Fatal(err)
		}
		a := newAPI(t, srv)
		stream, err := a.request(context.Background(), "GET", "/v1/cameras/cam-a/detections", "")
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Stall, After: 2})
		stalled, err := a.request(context.Background(), "GET", "/v1/cameras/cam-b/detections", "")
		if err != nil {
			t.Fatal(err)
		}
		srv.Freeze()
		hung := make(chan error, 1)
		go func() {
			resp, err := a.request(context.Background(), "GET", "/v1/cameras", "")
			if err == nil {
				resp.Body.Close()
			}
			hung <- err
		}()
		waitFor(t, "the hung request", func() bool { return srv.Stats().Requests[visiontest.EndpointCameras] == 1 })

		start := time.Now()
		if graceful {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err = srv.Shutdown(ctx)
			cancel()
			if err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		} else {
			srv.Close()
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("graceful=%v: closing took %v", graceful, d)
		}
		<-hung
		_, _ = io.Copy(io.Discard, stream.Body)
		stream.Body.Close()
		_, _ = io.Copy(io.Discard, stalled.Body)
		stalled.Body.Close()
		srv.Close() // again: a no-op
	}
}

func TestStreamFaults(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	a := newAPI(t, srv)

	read := func(t *testing.T) (lines []string, err error) {
		resp, err := a.request(context.Background(), "GET", "/v1/cameras/cam-a/detections?limit=10", "")
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 64<<10)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		return lines, sc.Err()
	}

	t.Run("reset", func(t *testing.T) {
		srv.Clear()
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Reset, After: 3})
		lines, err := read(t)
		if len(lines) != 3 || err == nil {
			t.Errorf("got %d lines, %v; want 3 and an error", len(lines), err)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		srv.Clear()
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Malformed, After: 2})
		lines, _ := read(t)
		if len(lines) != 3 || json.Valid([]byte(lines[2])) {
			t.Errorf("got %q; want 2 good lines and a bad one", lines)
		}
	})
	t.Run("endless line", func(t *testing.T) {
		srv.Clear()
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Oversized, After: 1, Size: 1 << 20})
		lines, err := read(t)
		if len(lines) != 1 || !errors.Is(err, bufio.ErrTooLong) {
			t.Errorf("got %d lines, %v; want 1 and ErrTooLong", len(lines), err)
		}
	})
	t.Run("stall", func(t *testing.T) {
		srv.Clear()
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointDetections, Kind: visiontest.Stall, After: 4})
		resp, err := a.request(context.Background(), "GET", "/v1/cameras/cam-a/detections?limit=6", "")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		got := make(chan int, 10)
		go func() {
			defer close(got)
			sc := bufio.NewScanner(resp.Body)
			for n := 1; sc.Scan(); n++ {
				got <- n
			}
		}()
		for want := 1; want <= 4; want++ {
			if n := <-got; n != want {
				t.Fatalf("line %d, want %d", n, want)
			}
		}
		select {
		case n := <-got:
			t.Fatalf("stalled stream sent line %d", n)
		case <-time.After(100 * time.Millisecond):
		}
		srv.Thaw()
		for want := 5; want <= 6; want++ {
			if n := <-got; n != want {
				t.Fatalf("after thaw: line %d, want %d", n, want)
			}
		}
		if _, ok := <-got; ok {
			t.Fatal("stream did not end after its limit")
		}
	})
}

func TestListen(t *testing.T) {
	srv, err := visiontest.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL = %q", srv.URL)
	}
	if _, err := visiontest.Listen(srv.Addr().String()); err == nil {
		t.Error("second Listen on the same address succeeded")
	}
}
