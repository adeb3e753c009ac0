// Collection measures how far past its deadline Close returns for a client
// whose collection field holds many elements, each a step of its own.
//
// Usage:
//
//	go run ./cmd/collection [-n 100000] [-runs 5] [-discard] 2>/dev/null
//
// For each case it builds a client of n resources (outside the measured
// time), closes it, and prints how long Close took and what it reported:
//
//   - slice, hung: every element hangs; Close returns at its 1s timeout,
//     and the overshoot past it is what matters.
//   - slice, instant: every element returns at once; Close returns nil,
//     and the time it took is what matters.
//   - map, hung: n/100 elements in a map whose keys have a String method
//     that takes a millisecond; element names must not call it.
//
// The runtime's events go to the default slog handler (standard error), as
// in a program that keeps the default logger; -discard discards them.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/cleanupgen/cleanupgen/benchmarks"
	"github.com/cleanupgen/cleanupgen/runtime"
)

// timeout is the Collection clients' timeout=.
const timeout = time.Second

func main() {
	n := flag.Int("n", 100_000, "elements of the collection")
	runs := flag.Int("runs", 5, "runs of each case")
	discard := flag.Bool("discard", false, "discard the runtime's events instead of logging them to standard error")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to `file`")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "collection:", err)
			os.Exit(2)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "collection:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}
	if *discard {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	events := "default slog handler to standard error"
	if *discard {
		events = "discarded"
	}
	fmt.Printf("Close of a client with a collection of n elements, timeout %v, %d run(s) each, GOMAXPROCS=%d, events %s\n\n",
		timeout, *runs, goruntime.GOMAXPROCS(0), events)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tn\tmedian close time\tmedian past timeout\tmax past timeout\treported\t")
	for _, c := range []struct {
		name     string
		n        int
		behavior benchmarks.Behavior
		build    func([]*benchmarks.Resource) benchmarks.Generated
	}{
		{"slice, hung", *n, benchmarks.Hung, benchmarks.NewCollection},
		{"slice, instant", *n, benchmarks.Noop, benchmarks.NewCollection},
		{"map, slow String, hung", max(*n/100, 1), benchmarks.Hung, benchmarks.NewKeyedCollection},
	} {
		var took []time.Duration
		var report string
		for range *runs {
			release := make(chan struct{})
			client := c.build(benchmarks.NewResources(c.n, c.behavior, release))
			goruntime.GC()
			start := time.Now()
			err := client.Close()
			took = append(took, time.Since(start))
			close(release)
			report = summary(err)
			waitAbandoned()
		}
		slices.Sort(took)
		fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t%v\t%s\t\n", c.name, c.n, round(took[len(took)/2]),
			round(max(took[len(took)/2]-timeout, 0)), round(max(took[len(took)-1]-timeout, 0)), report)
	}
	tw.Flush()
}

// summary says what a Close reported: nil, or how many steps in which
// state.
func summary(err error) string {
	var ce *runtime.CleanupError
	if !errors.As(err, &ce) {
		return fmt.Sprint(err)
	}
	count := map[runtime.State]int{}
	for _, t := range ce.Tasks {
		count[t.State]++
	}
	s := ""
	for st := runtime.StateOK; st <= runtime.StateNotStarted; st++ {
		if count[st] > 0 {
			s += fmt.Sprintf("%d %s; ", count[st], st)
		}
	}
	return s
}

// waitAbandoned waits for the released steps to return, so that runs do not
// overlap.
func waitAbandoned() {
	for len(runtime.Abandoned()) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
}

func round(d time.Duration) time.Duration {
	return d.Round(100 * time.Microsecond)
}
