// Command visionserver serves the vision HTTP API of package
// github.com/cleanupgen/cleanupgen/vision/visiontest as a program, for trying
// the vision client and the example against a separate process.
//
// Usage:
//
//	visionserver [-addr HOST:PORT] [-interval D] [-shutdown-timeout D]
//
// The first line it prints to standard output is the base URL it listens on,
// e.g. "http://127.0.0.1:40123", so a script can start it with -addr
// 127.0.0.1:0 (a free port, the default) and read the URL back. On SIGINT or
// SIGTERM it shuts down gracefully: it stops accepting, ends detection
// streams and waits for the responses in flight, for at most
// -shutdown-timeout; then it closes every connection and exits. Exit status
// is 0 after a clean shutdown, 1 when shutdown missed its deadline, 2 on bad
// usage or when it cannot listen.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx ends and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("visionserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT`; port 0 picks a free port")
	interval := fs.Duration("interval", 100*time.Millisecond, "time between two detections on a stream")
	timeout := fs.Duration("shutdown-timeout", 5*time.Second, "how long graceful shutdown may take")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "visionserver: unexpected arguments %q\n", fs.Args())
		return 2
	}
	srv, err := visiontest.Listen(*addr, visiontest.WithDetectionInterval(*interval))
	if err != nil {
		fmt.Fprintln(stderr, "visionserver:", err)
		return 2
	}
	fmt.Fprintln(stdout, srv.URL)

	<-ctx.Done()
	fmt.Fprintln(stderr, "visionserver: shutting down")
	// The signal context is done; shut down under a fresh deadline.
	m := runtime.NewManager(context.Background(), *timeout)
	m.Go("http", func(ctx context.Context) error { return srv.Shutdown(ctx) })
	if err := m.Wait(); err != nil {
		// A *runtime.CleanupError: the step, its state and how long it ran.
		fmt.Fprintln(stderr, "visionserver:", err)
		return 1
	}
	return 0
}
