// Command visionserver serves the vision HTTP API of package
// github.com/cleanupgen/cleanupgen/vision/visiontest as a program, for trying
// the vision client and the example against a separate process.
//
// Usage:
//
//	visionserver [-addr HOST:PORT] [-interval D] [-read-timeout D] [-write-timeout D]
//	             [-idle-timeout D] [-session-ttl D] [-drain D] [-shutdown-timeout D]
//
// The first line it prints to standard output is the base URL it listens on,
// e.g. "http://127.0.0.1:40123", so a script can start it with -addr
// 127.0.0.1:0 (a free port, the default) and read the URL back.
//
// A client cannot make it hold more than visiontest's bounds: a request
// must arrive within -read-timeout (30s), each write of a response must be
// taken within -write-timeout (30s), an idle keep-alive connection is
// closed after -idle-timeout (2m), expired sessions (-session-ttl, 1m) are
// removed, and request bodies and telemetry kept are bounded.
//
// It shuts down with runtime.CloseOnSignal. On SIGINT or SIGTERM, within
// -shutdown-timeout of the signal, it first goes on serving for -drain (0 by
// default: time for a load balancer to stop sending it requests), then shuts
// the HTTP server down gracefully: it stops accepting, ends detection
// streams and waits for the responses in flight; when a quarter of the time
// is left it closes every connection instead. A second signal during the
// shutdown ends it at once.
//
// Exit status:
//
//	0  the shutdown was clean
//	1  a shutdown step failed or was cut short by -shutdown-timeout; standard
//	   error names it
//	2  bad usage, or it cannot listen
//	3  a second signal interrupted the shutdown; standard error names the
//	   steps still running
package main

import (
	"context"
	"errors"
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

//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen

// Exit statuses.
const (
	exitClean       = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 3
)

// process is the server as a client: closing it shuts the server down, in
// phases. run closes it through CloseOnSignal, whose grace,
// -shutdown-timeout, is the deadline; the client's timeout caps it at an
// hour.
//
//cleanup:client timeout=1h
type process struct {
	guard runtime.Guard

	drain drainDelay         //cleanup:close Wait order=0
	srv   *visiontest.Server //cleanup:close Shutdown force=Close order=1
}

// drainDelay is how long the process goes on serving once shutdown begins.
type drainDelay time.Duration

// Wait waits for the delay, or returns why ctx ended if it ends first: the
// deadline, or the second signal.
func (d drainDelay) Wait(ctx context.Context) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// closerFunc makes a function a CloseContext method.
type closerFunc func(ctx context.Context) error

func (f closerFunc) CloseContext(ctx context.Context) error { return f(ctx) }

func main() {
	// Catch the signals from the start: one that comes before CloseOnSignal
	// catches them (before the URL is printed, say) ends ctx, which starts
	// the shutdown all the same.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends or the process receives SIGINT or SIGTERM,
// shuts down, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("visionserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen on `HOST:PORT`; port 0 picks a free port")
	interval := fs.Duration("interval", 100*time.Millisecond, "time between two detections on a stream")
	readTimeout := fs.Duration("read-timeout", visiontest.DefaultReadTimeout, "how long a client may take to send a request, body included")
	writeTimeout := fs.Duration("write-timeout", visiontest.DefaultWriteTimeout, "how long a client may take to accept each write of a response")
	idleTimeout := fs.Duration("idle-timeout", visiontest.DefaultIdleTimeout, "how long an idle keep-alive connection is kept")
	sessionTTL := fs.Duration("session-ttl", time.Minute, "how long a session lives without a keepalive")
	drain := fs.Duration("drain", 0, "how long to go on serving once shutdown begins")
	grace := fs.Duration("shutdown-timeout", 5*time.Second, "how long shutdown may take, drain included (at most 1h)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "visionserver: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	for name, d := range map[string]time.Duration{"read-timeout": *readTimeout, "write-timeout": *writeTimeout, "idle-timeout": *idleTimeout, "session-ttl": *sessionTTL} {
		if d <= 0 {
			fmt.Fprintf(stderr, "visionserver: -%s must be positive\n", name)
			return exitUsage
		}
	}
	srv, err := visiontest.Listen(*addr,
		visiontest.WithDetectionInterval(*interval),
		visiontest.WithReadTimeout(*readTimeout),
		visiontest.WithWriteTimeout(*writeTimeout),
		visiontest.WithIdleTimeout(*idleTimeout),
		visiontest.WithTokenTTL(*sessionTTL))
	if err != nil {
		fmt.Fprintln(stderr, "visionserver:", err)
		return exitUsage
	}
	fmt.Fprintln(stdout, srv.URL)

	p := &process{drain: drainDelay(*drain), srv: srv}
	err = runtime.CloseOnSignal(ctx, closerFunc(func(ctx context.Context) error {
		fmt.Fprintf(stderr, "visionserver: shutting down within %v\n", *grace)
		return p.CloseContext(ctx)
	}), *grace)
	switch {
	case errors.Is(err, runtime.ErrInterrupted):
		fmt.Fprintln(stderr, "visionserver:", err)
		return exitInterrupted
	case err != nil:
		// A *runtime.CleanupError: each step, its state and how long it ran.
		fmt.Fprintln(stderr, "visionserver:", err)
		return exitFailed
	}
	return exitClean
}
