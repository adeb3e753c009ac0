// Command shutdown is a process that shuts down the way an orchestrator such
// as Kubernetes wants it to: the process is a //cleanup:client struct whose
// fields are its servers and clients, closed in phases by
// runtime.CloseOnSignal within a grace period shorter than the pod's
// terminationGracePeriodSeconds.
//
// Usage:
//
//	shutdown [-addr HOST:PORT] [-upstream URL] [-drain D] [-grace D] [-refresh D] [-hang]
//
// It serves, on -addr:
//
//	GET /cameras   the camera names of the upstream vision server, as JSON,
//	               refreshed every -refresh by a background loop
//	GET /readyz    200 while it takes requests; 503 once shutdown begins
//	GET /healthz   200 while it runs
//
// The first line it prints is its URL. With no -upstream it starts an
// embedded vision server (package visiontest), so it runs anywhere:
//
//	go run ./examples/shutdown
//
// On SIGTERM or SIGINT it closes the process within -grace: readiness off
// and a drain delay (phase 0), the HTTP server (Shutdown, then Close when a
// quarter of the time is left), the refresh loop (cancel, then wait), the
// vision client. A second signal ends the shutdown at once. -hang makes the
// refresh loop ignore its context, to show what a step that hangs looks
// like: the shutdown still ends at -grace, and the log and the error name
// the step. Exit status: 0 clean, 1 a step failed or hung, 2 bad usage,
// 3 interrupted by a second signal.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen

// server is the process. Closing it tears it down in phases, each field a
// step, within the deadline of the close:
//
//   - 0: readiness off, so that the load balancer stops sending requests,
//     and, at the same time, the drain delay that gives it time to notice;
//   - 1: the HTTP server: Shutdown waits for the requests in flight, Close
//     cuts them off when Shutdown overruns;
//   - 2 and 3: the background loop: cancel it, then wait for it;
//   - 4: the vision client, which has a deadline of its own inside ours.
//
// timeout=30s bounds a Close without a deadline; CloseOnSignal's grace is
// usually the shorter.
//
//cleanup:client timeout=30s
type server struct {
	guard runtime.Guard

	ready  *readiness               //cleanup:close Off order=0
	drain  drainDelay               //cleanup:close Wait order=0
	srv    *http.Server             //cleanup:close Shutdown force=Close order=1
	cancel context.CancelFunc       //cleanup:cancel order=2
	loops  sync.WaitGroup           //cleanup:wait order=3
	vision *vision.VisionDataClient //cleanup:close CloseContext order=4

	cameras atomic.Pointer[[]string] //cleanup:ignore
}

// readiness is what /readyz answers.
type readiness struct{ off atomic.Bool }

// Off makes /readyz answer 503.
func (r *readiness) Off() { r.off.Store(true) }

func (r *readiness) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	if r.off.Load() {
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	fmt.Fprintln(w, "ready")
}

// drainDelay is how long the process goes on serving once readiness is
// off: the time the load balancer needs to notice.
type drainDelay time.Duration

// Wait waits for the delay, or returns why ctx ended if it ends first.
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

// config is what the flags say.
type config struct {
	addr     string
	upstream string
	drain    time.Duration
	refresh  time.Duration
	// fetch, when not nil, replaces the vision client's Cameras in the
	// refresh loop.
	fetch func(ctx context.Context) ([]string, error)
}

// newServer connects to the upstream, starts the refresh loop and listens.
// Its caller serves with s.srv.Serve(ln) and closes s.
func newServer(ctx context.Context, cfg config) (s *server, ln net.Listener, err error) {
	s = &server{ready: new(readiness), drain: drainDelay(cfg.drain)}
	defer func() {
		if err != nil {
			_ = s.Close()
		}
	}()
	if s.vision, err = vision.NewClient(ctx, vision.Config{BaseURL: cfg.upstream}); err != nil {
		return nil, nil, err
	}
	fetch := cfg.fetch
	if fetch == nil {
		// The loop never reads s's managed fields: closing s drops them.
		fetch = cameraNames(s.vision)
	}
	var loopCtx context.Context
	loopCtx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	s.loops.Go(func() { s.refreshLoop(loopCtx, cfg.refresh, fetch) })

	mux := http.NewServeMux()
	mux.Handle("GET /readyz", s.ready)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /cameras", s.serveCameras)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	if ln, err = net.Listen("tcp", cfg.addr); err != nil {
		return nil, nil, err
	}
	return s, ln, nil
}

// cameraNames returns a function that asks the upstream for its cameras.
func cameraNames(c *vision.VisionDataClient) func(ctx context.Context) ([]string, error) {
	return func(ctx context.Context) ([]string, error) {
		cams, err := c.Cameras(ctx)
		if err != nil {
			return nil, err
		}
		names := make([]string, len(cams))
		for i, c := range cams {
			names[i] = c.Name
		}
		return names, nil
	}
}

// refreshLoop refreshes the camera names every interval until ctx ends.
func (s *server) refreshLoop(ctx context.Context, every time.Duration, fetch func(context.Context) ([]string, error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if names, err := fetch(ctx); err == nil {
			s.cameras.Store(&names)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *server) serveCameras(w http.ResponseWriter, _ *http.Request) {
	names := s.cameras.Load()
	if names == nil {
		http.Error(w, "no cameras yet", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(*names)
}

// Exit statuses.
const (
	exitClean       = 0
	exitFailed      = 1
	exitUsage       = 2
	exitInterrupted = 3
)

func main() {
	// Catch the signals from the start: one that comes before CloseOnSignal
	// catches them ends ctx, which starts the shutdown all the same.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the program: it serves until ctx ends or a signal comes, shuts
// down, and returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shutdown", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := config{}
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:0", "listen on `HOST:PORT`; port 0 picks a free port")
	fs.StringVar(&cfg.upstream, "upstream", "", "vision server `URL`; empty starts an embedded one")
	fs.DurationVar(&cfg.drain, "drain", time.Second, "how long to serve with readiness off before stopping the HTTP server")
	fs.DurationVar(&cfg.refresh, "refresh", time.Second, "time between two refreshes of the camera list")
	grace := fs.Duration("grace", 25*time.Second, "how long shutdown may take: a few seconds less than terminationGracePeriodSeconds")
	hang := fs.Bool("hang", false, "make the refresh loop ignore its context, to see a step that hangs")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if cfg.upstream == "" {
		up, err := visiontest.Start()
		if err != nil {
			fmt.Fprintln(stderr, "shutdown:", err)
			return exitUsage
		}
		// The upstream is not the process's: it is closed after it.
		defer up.Close()
		cfg.upstream = up.URL
	}
	if *hang {
		cfg.fetch = func(context.Context) ([]string, error) {
			select {} // ignores its context: a step that cannot be stopped
		}
	}

	s, ln, err := newServer(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "shutdown:", err)
		return exitUsage
	}
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ln) }()
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())

	// CloseOnSignal also waits (up to a second) for the runtime's log
	// records of the close, which it writes after the fact: the lines that
	// say which step hung are out before the process exits.
	err = runtime.CloseOnSignal(ctx, s, *grace)
	switch {
	case errors.Is(err, runtime.ErrInterrupted):
		fmt.Fprintln(stderr, "shutdown:", err)
		return exitInterrupted
	case err != nil:
		// A *runtime.CleanupError: each step that failed or hung, its
		// state and how long it ran.
		fmt.Fprintln(stderr, "shutdown:", err)
		return exitFailed
	}
	// The srv step succeeded: Serve has returned, or is about to.
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "shutdown: serve:", err)
	}
	fmt.Fprintln(stderr, "shutdown: closed cleanly")
	return exitClean
}
