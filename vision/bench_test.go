package vision

import (
	"context"
	"strconv"
	"testing"

	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// The benchmarks run each operation with the guard (the exported method)
// and without it (the method's body), to show what Enter and Leave cost.

func BenchmarkFrameCached(b *testing.B) {
	srv := visiontest.NewServer(b)
	c := newTestClient(b, srv, Config{})
	ctx := context.Background()
	if _, err := c.Frame(ctx, "cam-a", 1); err != nil {
		b.Fatal(err)
	}
	b.Run("guarded", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Frame(ctx, "cam-a", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("unguarded", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.frame(ctx, "cam-a", 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkFrameUncached(b *testing.B) {
	srv := visiontest.NewServer(b)
	for _, mode := range []struct {
		name string
		cfg  Config
	}{
		{"decode", Config{FrameCacheSize: -1}},
		{"headeronly", Config{FrameCacheSize: -1, HeaderOnly: true}},
	} {
		c := newTestClient(b, srv, mode.cfg)
		ctx := context.Background()
		for _, guarded := range []bool{true, false} {
			name := mode.name + "/" + map[bool]string{true: "guarded", false: "unguarded"}[guarded]
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(29228) // cam-a's PNG
				for i := 0; b.Loop(); i++ {
					var err error
					if guarded {
						_, err = c.Frame(ctx, "cam-a", int64(i))
					} else {
						_, err = c.frame(ctx, "cam-a", int64(i))
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkDetections measures the stream's throughput: one op is one
// detection read from a server that sends them as fast as they are read.
// The guard is taken once, when the stream opens, not per detection, so
// there is no unguarded variant to compare.
func BenchmarkDetections(b *testing.B) {
	srv := visiontest.NewServer(b, visiontest.WithDetectionInterval(0))
	c := newTestClient(b, srv, Config{DetectionBuffer: 64})
	b.ReportAllocs()
	if err := c.guard.Enter(); err != nil {
		b.Fatal(err)
	}
	// Detections with a limit, so that the stream ends after b.N.
	dets, err := c.detections(context.Background(), context.Background(), "cam-a", "limit="+strconv.Itoa(b.N))
	c.guard.Leave()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for d := range dets {
		if d.Err != nil {
			b.Fatal(d.Err)
		}
		n++
	}
	if n != b.N {
		b.Fatalf("read %d detections, want %d", n, b.N)
	}
}
