// Command data_retrieval_best_practices shows how to use the vision client:
// bounded calls, reliable teardown, and reading what teardown did.
//
// Usage:
//
//	data_retrieval_best_practices [-url URL] [-watch D]
//
// With no -url (and no VISION_URL in the environment) it starts an embedded
// vision server from package visiontest, so it runs anywhere. Point it at a
// server started with
//
//	go run ./cmd/visionserver -addr 127.0.0.1:0
//
// by passing the URL that visionserver printed first.
//
// It behaves the same with CLEANUPGEN_DEADLINES=off (the rollback flag): then
// every Close waits for its steps without a deadline, as hand-written code
// did, which is fine as long as the server answers.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func main() {
	// Ctrl-C cancels ctx: every call below is bounded by it, and teardown
	// still runs (under its own deadline) when it is cancelled.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

// Budgets. Every network call gets a deadline: a server that stops answering
// must not stop the program.
const (
	callTimeout  = 2 * time.Second // one request
	closeTimeout = 3 * time.Second // all of teardown
)

// run is the program; main only wires it to the process, so that tests can
// run it too.
func run(ctx context.Context, w io.Writer, args []string) (err error) {
	fs := flag.NewFlagSet("data_retrieval_best_practices", flag.ContinueOnError)
	fs.SetOutput(w)
	baseURL := fs.String("url", os.Getenv("VISION_URL"), "vision server `URL`; empty starts an embedded one")
	watch := fs.Duration("watch", 300*time.Millisecond, "how long to consume detections")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(w, "deadlines on teardown: %v\n", runtime.DeadlinesEnabled())

	// 1. A server. The embedded one is owned by this function, so it is
	// shut down last, after the clients that talk to it (see teardown).
	var srv *visiontest.Server
	if *baseURL == "" {
		if srv, err = visiontest.Start(visiontest.WithDetectionInterval(10 * time.Millisecond)); err != nil {
			return err
		}
		*baseURL = srv.URL
		fmt.Fprintf(w, "embedded vision server at %s\n", srv.URL)
	}

	// 2. A manager for the data sources: one CloseContext closes them all,
	// concurrently, under one deadline.
	sources := vision.NewDataSourceManager()

	// Teardown, whatever happens below: close the sources, then the
	// embedded server, under one deadline, and print what each step did.
	// A runtime.Manager does this by hand; generated Close methods do the
	// same inside each client.
	defer func() {
		if cerr := teardown(w, sources, srv); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()

	// 3. Clients. NewClient's ctx bounds only the opening of the session.
	for _, site := range []string{"site-north", "site-south"} {
		openCtx, cancel := context.WithTimeout(ctx, callTimeout)
		client, err := vision.NewClient(openCtx, vision.Config{BaseURL: *baseURL})
		cancel()
		if err != nil {
			return fmt.Errorf("connecting %s: %w", site, err)
		}
		// From here on the manager owns the client and closes it.
		if err := sources.Add(site, client); err != nil {
			_ = client.Close()
			return err
		}
	}

	// A client used on its own: close it with defer, like a file. Close is
	// idempotent, so the explicit Close at the end of the function, which
	// checks the error, and this safety net do not conflict.
	openCtx, cancel := context.WithTimeout(ctx, callTimeout)
	client, err := vision.NewClient(openCtx, vision.Config{BaseURL: *baseURL})
	cancel()
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer client.Close()

	// 4. A call with a deadline.
	callCtx, cancel := context.WithTimeout(ctx, callTimeout)
	cams, err := client.Cameras(callCtx)
	cancel()
	if err != nil {
		return fmt.Errorf("listing cameras: %w", err)
	}
	fmt.Fprintf(w, "%d cameras:", len(cams))
	for _, c := range cams {
		fmt.Fprintf(w, " %s (%s %dx%d)", c.Name, c.Format, c.Width, c.Height)
	}
	fmt.Fprintln(w)

	// 5. Frames from several cameras and sites, concurrently, through the
	// manager. Failures come back per request, not as one error.
	var reqs []vision.FrameRequest
	for i, c := range cams {
		site := []string{"site-north", "site-south"}[i%2]
		reqs = append(reqs, vision.FrameRequest{Source: site, Camera: c.Name, Seq: int64(10 + i)})
	}
	reqs = append(reqs, vision.FrameRequest{Source: "site-north", Camera: "no-such-camera", Seq: 1})
	callCtx, cancel = context.WithTimeout(ctx, callTimeout)
	results, err := sources.Frames(callCtx, reqs...)
	cancel()
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tCAMERA\tSEQ\tFRAME")
	for _, r := range results {
		var se *vision.StatusError
		switch {
		case errors.As(r.Err, &se) && se.StatusCode == 404:
			// Branch on what the error is, not on its text.
			fmt.Fprintf(tw, "%s\t%s\t%d\tnot found on the server\n", r.Source, r.Camera, r.Seq)
		case r.Err != nil:
			fmt.Fprintf(tw, "%s\t%s\t%d\terror: %v\n", r.Source, r.Camera, r.Seq, r.Err)
		default:
			f := r.Frame
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s %dx%d, %d bytes, taken %s\n", r.Source, r.Camera, r.Seq,
				f.Format, f.Width, f.Height, f.Size(), f.Timestamp.Format("15:04:05.000"))
		}
	}
	tw.Flush()

	// 6. A detection stream, consumed for a while. The stream's context
	// bounds it: when it ends, the client closes the channel and its
	// goroutine returns. Stopping early is fine too; close the client or end
	// the context, and nothing leaks.
	watchCtx, cancel := context.WithTimeout(ctx, *watch)
	defer cancel()
	dets, err := client.Detections(watchCtx, cams[0].Name)
	if err != nil {
		return fmt.Errorf("detections: %w", err)
	}
	counts := map[string]int{}
	n := 0
	for d := range dets {
		if d.Err != nil {
			// The stream broke (bad data, reset): the last value says why.
			fmt.Fprintf(w, "stream ended early: %v\n", d.Err)
			break
		}
		counts[d.Label]++
		n++
	}
	labels := slices.Sorted(maps.Keys(counts))
	fmt.Fprintf(w, "%d detections on %s in %v:", n, cams[0].Name, *watch)
	for _, l := range labels {
		fmt.Fprintf(w, " %s=%d", l, counts[l])
	}
	fmt.Fprintln(w)

	// 7. Close the standalone client and check the error: the deferred
	// Close above then returns this same result without tearing down again.
	// CloseContext bounds it by ctx's deadline as well as by the client's
	// own timeout.
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	if err := client.CloseContext(closeCtx); err != nil {
		printCleanupError(w, "client", err)
	} else {
		fmt.Fprintln(w, "client closed: telemetry flushed, session ended, goroutines stopped")
	}

	// After Close, calls fail fast with runtime.ErrClosed instead of using
	// released resources.
	if _, err := client.Cameras(ctx); errors.Is(err, runtime.ErrClosed) {
		fmt.Fprintln(w, "calls after Close return runtime.ErrClosed")
	}
	return nil
}

// teardown closes the sources and then the embedded server (if any), each
// under a deadline, and prints what each step did.
func teardown(w io.Writer, sources *vision.DataSourceManager, srv *visiontest.Server) error {
	// Teardown runs even when the program's context was cancelled (Ctrl-C),
	// so it starts from context.Background; the manager adds the deadline.
	m := runtime.NewManager(context.Background(), closeTimeout, runtime.WithName("example"))
	m.Go("sources", sources.CloseContext)
	err := m.Wait()
	printResults(w, m.Results())
	if srv != nil {
		// The server goes after the clients: their teardown talks to it.
		m := runtime.NewManager(context.Background(), closeTimeout, runtime.WithName("example"))
		m.Go("embedded server", srv.Shutdown)
		err = errors.Join(err, m.Wait())
		printResults(w, m.Results())
	}
	if err != nil {
		printCleanupError(w, "teardown", err)
	}
	return err
}

func printResults(w io.Writer, results []runtime.TaskResult) {
	for _, r := range results {
		fmt.Fprintf(w, "teardown step %-16s %-9s in %v\n", r.Name, r.State, r.Duration.Round(time.Microsecond))
		if r.Err != nil {
			fmt.Fprintf(w, "  error: %v\n", r.Err)
		}
	}
}

// printCleanupError lists the steps of a failed teardown. A
// *runtime.CleanupError names each step that failed, timed out or was
// abandoned; errors.Is(err, context.DeadlineExceeded) says a deadline cut
// one short.
func printCleanupError(w io.Writer, what string, err error) {
	var ce *runtime.CleanupError
	if !errors.As(err, &ce) {
		fmt.Fprintf(w, "%s: %v\n", what, err)
		return
	}
	fmt.Fprintf(w, "%s: %s did not close cleanly (deadline hit: %v):\n", what, ce.Type, errors.Is(err, context.DeadlineExceeded))
	for _, t := range ce.Tasks {
		fmt.Fprintf(w, "  step %s: %s after %v: %v\n", t.Name, t.State, t.Duration, t.Err)
	}
	if ab := runtime.Abandoned(); len(ab) > 0 {
		fmt.Fprintf(w, "  %d steps still running in the background\n", len(ab))
	}
}
