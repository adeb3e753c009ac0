package vision

import (
	"context"
	"errors"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// TestBadResponses checks that each kind of bad response gives a clear
// error of the documented kind.
func TestBadResponses(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	c := newTestClient(t, srv, Config{MaxFrameBytes: 256 << 10, MaxResponseBytes: 64 << 10, MaxLineBytes: 1 << 10})
	var seq int64 // a new frame each time: no cache hits
	frame := func(ctx context.Context) error {
		seq++
		_, err := c.Frame(ctx, "cam-a", seq)
		return err
	}
	cameras := func(ctx context.Context) error {
		_, err := c.Cameras(ctx)
		return err
	}
	isStatus := func(code int) func(error) bool {
		return func(err error) bool {
			var se *StatusError
			return errors.As(err, &se) && se.StatusCode == code
		}
	}
	is := func(target error) func(error) bool {
		return func(err error) bool { return errors.Is(err, target) }
	}
	anyErr := func(err error) bool { return err != nil }

	tests := []struct {
		name  string
		fault visiontest.Fault
		call  func(context.Context) error
		want  func(error) bool
	}{
		{"cameras garbage", visiontest.Fault{Kind: visiontest.Malformed, Body: []byte("<html>nope")}, cameras, is(ErrBadResponse)},
		{"cameras truncated json", visiontest.Fault{Kind: visiontest.Malformed}, cameras, is(ErrBadResponse)},
		{"cameras huge body", visiontest.Fault{Kind: visiontest.Oversized}, cameras, is(ErrTooLarge)},
		{"cameras 500", visiontest.Fault{Kind: visiontest.Status5xx, Status: 500}, cameras, isStatus(500)},
		{"cameras reset", visiontest.Fault{Kind: visiontest.Reset}, cameras, anyErr},
		{"cameras stalled body", visiontest.Fault{Kind: visiontest.Stall}, cameras, is(context.DeadlineExceeded)},
		{"frame truncated image", visiontest.Fault{Kind: visiontest.Malformed}, frame, is(ErrBadImage)},
		{"frame garbage", visiontest.Fault{Kind: visiontest.Malformed, Body: []byte("GIF89a? no, garbage")}, frame, is(ErrBadImage)},
		{"frame empty", visiontest.Fault{Kind: visiontest.Malformed, Body: []byte{}}, frame, is(ErrBadImage)},
		{"frame huge body", visiontest.Fault{Kind: visiontest.Oversized}, frame, is(ErrTooLarge)},
		{"frame 503", visiontest.Fault{Kind: visiontest.Status5xx}, frame, isStatus(503)},
		{"frame stalled body", visiontest.Fault{Kind: visiontest.Stall}, frame, is(context.DeadlineExceeded)},
		{"frame hang", visiontest.Fault{Kind: visiontest.Hang}, frame, is(context.DeadlineExceeded)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Clear()
			srv.Inject(tt.fault)
			defer srv.Clear()
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			err := tt.call(ctx)
			if !tt.want(err) {
				t.Errorf("err = %v", err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "vision: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}

	t.Run("truncated image with HeaderOnly", func(t *testing.T) {
		srv.Clear()
		srv.Inject(visiontest.Fault{Endpoint: visiontest.EndpointFrame, Kind: visiontest.Malformed})
		defer srv.Clear()
		ho := newTestClient(t, srv, Config{HeaderOnly: true})
		f, err := ho.Frame(context.Background(), "cam-a", 1)
		if err != nil || f.Width == 0 {
			t.Errorf("HeaderOnly frame of a truncated image: %v, %v; want the header's metadata", f, err)
		}
	})

	t.Run("bad arguments", func(t *testing.T) {
		if _, err := c.Frame(context.Background(), "", 1); err == nil {
			t.Error("Frame with no camera succeeded")
		}
		if _, err := c.Frame(context.Background(), "cam-a", -1); err == nil {
			t.Error("Frame with a negative seq succeeded")
		}
		if _, err := c.Detections(context.Background(), ""); err == nil {
			t.Error("Detections with no camera succeeded")
		}
		// A name that is not a valid path segment must reach the server
		// escaped, as one segment, and not be found there.
		for _, name := range []string{"a b?c#d", "../../v1/cameras", "%2e%2e", "x/y"} {
			_, err := c.Frame(context.Background(), name, 1)
			var se *StatusError
			if !errors.As(err, &se) || se.StatusCode != 404 {
				t.Errorf("Frame(%q) = %v, want a 404 from the server", name, err)
			}
		}
	})
}

func TestBadStreams(t *testing.T) {
	srv := visiontest.NewServer(t, visiontest.WithDetectionInterval(time.Millisecond))
	c := newTestClient(t, srv, Config{MaxLineBytes: 1 << 10})
	tests := []struct {
		name  string
		fault visiontest.Fault
		want  func(error) bool
	}{
		{"garbage line", visiontest.Fault{Kind: visiontest.Malformed, After: 2}, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"bad score", visiontest.Fault{Kind: visiontest.Malformed, After: 2, Body: []byte(`{"camera":"cam-a","seq":1,"score":7}` + "\n")}, func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{"endless line", visiontest.Fault{Kind: visiontest.Oversized, After: 2}, func(err error) bool { return errors.Is(err, ErrTooLarge) }},
		{"reset", visiontest.Fault{Kind: visiontest.Reset, After: 2}, func(err error) bool { return err != nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.Clear()
			tt.fault.Endpoint = visiontest.EndpointDetections
			srv.Inject(tt.fault)
			defer srv.Clear()
			dets, err := c.Detections(ctxFor(t, 5*time.Second), "cam-a")
			if err != nil {
				t.Fatal(err)
			}
			var got []Detection
			for d := range dets {
				got = append(got, d)
			}
			if len(got) != 3 {
				t.Fatalf("got %d values, want 2 detections and an error: %+v", len(got), got)
			}
			if got[0].Err != nil || got[1].Err != nil || !tt.want(got[2].Err) {
				t.Errorf("got %+v", got)
			}
		})
	}
}

// TestBoundedMemory sends 64 MiB bodies and an endless line and checks that
// the client allocates only about its limits.
func TestBoundedMemory(t *testing.T) {
	srv := visiontest.NewServer(t)
	c := newTestClient(t, srv, Config{MaxFrameBytes: 1 << 20, MaxResponseBytes: 1 << 20, MaxLineBytes: 1 << 20})
	const huge = 64 << 20
	srv.Inject(visiontest.Fault{Kind: visiontest.Oversized, Size: huge})
	ctx := ctxFor(t, 10*time.Second)

	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	_, errCameras := c.Cameras(ctx)
	_, errFrame := c.Frame(ctx, "cam-a", 1)
	dets, err := c.Detections(ctx, "cam-a")
	if err != nil {
		t.Fatal(err)
	}
	var errStream error
	for d := range dets {
		errStream = d.Err
	}
	goruntime.ReadMemStats(&after)

	for _, err := range []error{errCameras, errFrame, errStream} {
		if !errors.Is(err, ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge", err)
		}
	}
	// Each call may hold up to twice its 1 MiB limit while growing its
	// buffer; the bodies were 64 MiB each.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("allocated %d MiB reading three %d MiB bodies with 1 MiB limits", alloc>>20, huge>>20)
	}
}
