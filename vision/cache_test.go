package vision

import (
	"context"
	"errors"
	"testing"

	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func TestFrameCacheEvicts(t *testing.T) {
	c := newFrameCache(2)
	f1, f2, f3 := &Frame{Seq: 1}, &Frame{Seq: 2}, &Frame{Seq: 3}
	c.put(frameKey{"a", 1}, f1)
	c.put(frameKey{"a", 2}, f2)
	if got, _ := c.get(frameKey{"a", 1}); got != f1 { // 1 is now the most recent
		t.Fatal("frame 1 missing")
	}
	c.put(frameKey{"a", 3}, f3)
	if _, ok := c.get(frameKey{"a", 2}); ok {
		t.Error("the least recently used frame was not evicted")
	}
	if got, _ := c.get(frameKey{"a", 1}); got != f1 {
		t.Error("a recently used frame was evicted")
	}
	if n := c.len(); n != 2 {
		t.Errorf("len = %d, want 2", n)
	}
	off := newFrameCache(-1)
	off.put(frameKey{"a", 1}, f1)
	if _, ok := off.get(frameKey{"a", 1}); ok {
		t.Error("a disabled cache returned a frame")
	}
}

// TestTelemetryKeptOnFailedFlush checks that counters a failed flush tried
// to send are sent by the next one.
func TestTelemetryKeptOnFailedFlush(t *testing.T) {
	srv := visiontest.NewServer(t)
	c := newTestClient(t, srv, Config{})
	c.telemetry.add("frames_fetched", 2)
	srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointTelemetry, Kind: visiontest.Status5xx, Count: 1})
	var se *StatusError
	if err := c.telemetry.Flush(context.Background()); !errors.As(err, &se) {
		t.Fatalf("Flush against a failing server: %v", err)
	}
	c.telemetry.add("frames_fetched", 1)
	if err := c.telemetry.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	tel := srv.Telemetry()
	if len(tel) != 1 || tel[0].Counters["frames_fetched"] != 3 {
		t.Errorf("telemetry = %+v, want one report of 3 frames", tel)
	}
	if err := c.telemetry.Flush(context.Background()); err != nil || len(srv.Telemetry()) != 1 {
		t.Errorf("an empty Flush sent a report (%v)", err)
	}
}
