// Visionclose times the vision client's Close against a vision server that
// froze, before cleanupgen's deadlines and after.
//
// Usage:
//
//	go run ./cmd/visionclose [-thaw 5s]
//
// It starts an in-process vision server (vision/visiontest), opens a
// client with vision.NewClient, fetches one frame (so that the telemetry
// has something to flush), freezes the server and closes the client:
//
//   - deadlines off (runtime.SetDeadlines(false), what CLEANUPGEN_DEADLINES=off
//     does): Close waits until the server thaws, -thaw after Close started;
//   - deadlines on, Close: the client's generated Close, timeout=5s, whose
//     telemetry and session steps have a 1s budget each;
//   - deadlines on, CloseContext with a 300ms deadline.
//
// A healthy server's close time is printed first, for scale.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/vision"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func main() {
	thaw := flag.Duration("thaw", 5*time.Second, "how long after Close starts the frozen server thaws")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("visionclose: ")
	slog.SetDefault(slog.New(slog.DiscardHandler)) // the error printed below says the same

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "server\tdeadlines\tcall\tclose time\tresult")
	cases := []struct {
		server, deadlines, call string
		frozen, on              bool
		ctxDeadline             time.Duration
	}{
		{"healthy", "on", "Close()", false, true, 0},
		{"healthy", "off", "Close()", false, false, 0},
		{"frozen", "off", "Close()", true, false, 0},
		{"frozen", "on", "Close()", true, true, 0},
		{"frozen", "on", "CloseContext(300ms)", true, true, 300 * time.Millisecond},
	}
	for _, c := range cases {
		took, err := closeClient(c.frozen, c.on, c.ctxDeadline, *thaw)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\n", c.server, c.deadlines, c.call, round(took), describe(err))
	}
	tw.Flush()
}

// closeClient opens a client on a new server, freezes the server if frozen
// is set, and times the client's close.
func closeClient(frozen, on bool, ctxDeadline, thaw time.Duration) (time.Duration, error) {
	srv, err := visiontest.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := vision.NewClient(ctx, vision.Config{BaseURL: srv.URL})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Frame(ctx, "cam-a", 1); err != nil {
		log.Fatal(err)
	}
	defer runtime.SetDeadlines(on)()
	if frozen {
		srv.Freeze()
		defer srv.Thaw()
	}
	start := time.Now()
	t := time.AfterFunc(thaw, srv.Thaw)
	defer t.Stop()
	if ctxDeadline > 0 {
		cctx, ccancel := context.WithTimeout(context.Background(), ctxDeadline)
		defer ccancel()
		err = c.CloseContext(cctx)
	} else {
		err = c.Close()
	}
	return time.Since(start), err
}

func round(d time.Duration) time.Duration {
	if d < 10*time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}

// describe says which steps a close's error names.
func describe(err error) string {
	var ce *runtime.CleanupError
	if !errors.As(err, &ce) {
		if err == nil {
			return "nil"
		}
		return err.Error()
	}
	s := ""
	for i, task := range ce.Tasks {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %s after %v", task.Name, task.State, task.Duration.Round(time.Millisecond))
	}
	return s
}
