package visiontest_test

// The server under abuse (issue 20, item 8): what a misbehaving client, or
// many, can make it hold, and frame numbers at the edge of int64.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// closedWithin reports whether the server closes conn within d: a read
// returns EOF or a reset, not a timeout. What the server sent first (a
// response) is read and discarded.
func closedWithin(t *testing.T, conn net.Conn, d time.Duration) bool {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		return false
	}
	return true
}

// TestIdleConnectionClosed: an idle keep-alive connection was held
// forever. Real time: the idle timeout is 100ms, the test waits 5s.
func TestIdleConnectionClosed(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithIdleTimeout(100*time.Millisecond))
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/cameras HTTP/1.1\r\nHost: x\r\n\r\n") // 401, keep-alive
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || resp.Close {
		t.Fatalf("response %s, close %v: want a 401 on a kept-alive connection", resp.Status, resp.Close)
	}
	if !closedWithin(t, conn, 5*time.Second) {
		t.Error("an idle connection is still open 5s after a 100ms idle timeout")
	}
}

// TestSlowRequestBody: a client that sends headers and then its body
// byte by byte, or not at all, held a handler and a connection forever.
func TestSlowRequestBody(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithReadTimeout(100*time.Millisecond))
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/telemetry HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"coun")
	if !closedWithin(t, conn, 5*time.Second) {
		t.Error("a request whose body never comes still holds its connection 5s after a 100ms read timeout")
	}
}

// TestReadTimeoutSparesResponses: the read timeout bounds the request, not
// the response: a stream and a hang outlive it.
func TestReadTimeoutSparesResponses(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithReadTimeout(50*time.Millisecond), visiontest.WithDetectionInterval(10*time.Millisecond))
	a := newAPI(t, srv)
	resp, err := a.request(context.Background(), "GET", "/v1/cameras/cam-a/detections?limit=30", "")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body) // 300ms
	resp.Body.Close()
	if n := strings.Count(string(body), "\n"); err != nil || n != 30 {
		t.Errorf("a stream longer than the read timeout: %d detections, %v; want 30", n, err)
	}

	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointCameras, Kind: visiontest.Hang})
	go func() {
		time.Sleep(200 * time.Millisecond)
		srv.Thaw()
	}()
	if resp, _ := a.do(context.Background(), "GET", "/v1/cameras", ""); resp.StatusCode != http.StatusOK {
		t.Errorf("a hang longer than the read timeout, then thawed: %s, want 200", resp.Status)
	}
}

func TestUploadBounded(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	big := `{"counters":{"x":1},"pad":"` + strings.Repeat("x", visiontest.MaxUploadBytes) + `"}`
	if resp, _ := a.do(context.Background(), "POST", "/v1/telemetry", big); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("a %d-byte upload: %s, want 413", len(big), resp.Status)
	}
	if n := len(srv.Telemetry()); n != 0 {
		t.Errorf("%d reports kept", n)
	}
}

// TestTelemetryBounded: every report was kept (15 MiB in the test).
func TestTelemetryBounded(t *testing.T) {
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	post := func(body string) {
		t.Helper()
		if resp, b := a.do(context.Background(), "POST", "/v1/telemetry", body); resp.StatusCode != http.StatusNoContent {
			t.Fatalf("telemetry: %s %s", resp.Status, b)
		}
	}
	for i := range visiontest.MaxTelemetryReports + 10 {
		post(`{"counters":{"n":` + strconv.Itoa(i) + `}}`)
	}
	tel := srv.Telemetry()
	if len(tel) != visiontest.MaxTelemetryReports || tel[0].Counters["n"] != 10 {
		t.Errorf("kept %d reports from n=%d, want %d from n=10", len(tel), tel[0].Counters["n"], visiontest.MaxTelemetryReports)
	}
	if got := srv.Stats().TelemetryDropped; got != 10 {
		t.Errorf("TelemetryDropped = %d, want 10", got)
	}

	// Reports of many long names: bounded by bytes.
	counters := make(map[string]int64)
	for i := range 700 {
		counters[fmt.Sprintf("%060d", i)] = 1
	}
	body, _ := json.Marshal(map[string]any{"counters": counters})
	for range 30 {
		post(string(body))
	}
	size := 0
	for _, r := range srv.Telemetry() {
		for name := range r.Counters {
			size += len(name) + 16
		}
	}
	if size > visiontest.MaxTelemetryBytes {
		t.Errorf("telemetry kept: %d bytes of names, more than %d", size, visiontest.MaxTelemetryBytes)
	}
}

// TestFrameTimeSaturates: frame math.MaxInt64 was dated in 1821.
func TestFrameTimeSaturates(t *testing.T) {
	for _, seq := range []int64{math.MaxInt64, math.MaxInt64 / int64(visiontest.FrameInterval) * 2} {
		if ts := visiontest.FrameTime(seq); !ts.Equal(visiontest.Epoch.Add(math.MaxInt64)) {
			t.Errorf("FrameTime(%d) = %v, want Epoch + the largest Duration", seq, ts)
		}
		if d := visiontest.MakeDetection("cam-a", seq); d.Time.Before(visiontest.Epoch) {
			t.Errorf("MakeDetection(%d).Time = %v, before Epoch", seq, d.Time)
		}
	}
	if ts := visiontest.FrameTime(25); !ts.Equal(visiontest.Epoch.Add(time.Second)) {
		t.Errorf("FrameTime(25) = %v", ts)
	}
	srv := visiontest.NewServer(t)
	a := newAPI(t, srv)
	resp, _ := a.do(context.Background(), "GET", "/v1/cameras/cam-a/frames/"+strconv.FormatInt(math.MaxInt64, 10), "")
	ts, err := time.Parse(time.RFC3339Nano, resp.Header.Get("X-Frame-Timestamp"))
	if err != nil || ts.Before(visiontest.Epoch) {
		t.Errorf("frame MaxInt64: %s, timestamp %v (%v); want after Epoch", resp.Status, ts, err)
	}
}

// TestDetectionSequenceNeverWraps: a stream from near math.MaxInt64 went
// on with negative frame numbers.
func TestDetectionSequenceNeverWraps(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(0))
	a := newAPI(t, srv)
	resp, body := a.do(context.Background(), "GET", "/v1/cameras/cam-a/detections?limit=5&from="+strconv.FormatInt(math.MaxInt64-2, 10), "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("detections: %s", resp.Status)
	}
	var seqs []int64
	for line := range strings.Lines(string(body)) {
		var d visiontest.Detection
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, d.Seq)
	}
	if want := []int64{math.MaxInt64 - 2, math.MaxInt64 - 1, math.MaxInt64}; fmt.Sprint(seqs) != fmt.Sprint(want) {
		t.Errorf("frames %v, want %v and the end of the stream", seqs, want)
	}
	for _, q := range []string{"from=-1", "from=x", "limit=-1", "limit=x", "from=99999999999999999999"} {
		// A stream that is served instead never ends: the context does.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := a.request(ctx, "GET", "/v1/cameras/cam-a/detections?"+q, "")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("detections?%s: %s, want 400", q, resp.Status)
		}
	}
}

// TestSlowReader: a client that stops reading a detection stream held its
// handler and connection until the server closed. Real time: the write
// timeout is 100ms, the test waits up to 10s.
func TestSlowReader(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithWriteTimeout(100*time.Millisecond), visiontest.WithDetectionInterval(0))
	token := newAPI(t, srv).token
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10) // fill up sooner
	}
	fmt.Fprintf(conn, "GET /v1/cameras/cam-a/detections HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", token)
	deadline := time.Now().Add(10 * time.Second)
	for srv.Stats().StreamsActive == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for srv.Stats().StreamsActive != 0 {
		if time.Now().After(deadline) {
			t.Fatal("a stream whose client stopped reading is still served after 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestKeepAliveAfterWriteTimeout: each write's deadline ends with its
// response (net/http lifts it), so a kept-alive connection serves a
// request that comes long after the last.
func TestKeepAliveAfterWriteTimeout(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithWriteTimeout(50*time.Millisecond))
	conn, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := range 2 {
		if i > 0 {
			time.Sleep(200 * time.Millisecond)
		}
		fmt.Fprintf(conn, "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on one connection: %v", i+1, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("request %d: %s", i+1, resp.Status)
		}
	}
}
