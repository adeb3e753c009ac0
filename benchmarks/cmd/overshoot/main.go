// Overshoot measures how far past its deadline Close returns when many
// clients, each with a step that hangs, close at the same moment.
//
// Usage:
//
//	go run ./cmd/overshoot [-clients 100,1000,10000] [-runs 5] [-discard] 2>/dev/null
//
// For each number of clients it starts that many goroutines, releases them
// together, and has each close its own client and time it; the overshoot
// is the close time minus the timeout. It prints p50, p99 and max over
// every close of every run, and the median of the runs' own p99s (which
// one slow run, such as the first with its small heap, does not set), for
// the generated Close (client timeout=50ms) and, as the floor that Go's
// timers and scheduler set, for the hand-written wrapper (one goroutine
// and a time.Timer). The runtime's events (a Warn per abandoned step, an
// Info when it returns) go to the default slog handler, which writes to
// standard error, as in a program that keeps the default logger; -discard
// discards them instead.
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	goruntime "runtime"
	"runtime/pprof"
	"runtime/trace"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/cleanupgen/cleanupgen/benchmarks"
)

// timeout is the generated Overshoot client's timeout=.
const timeout = 50 * time.Millisecond

func main() {
	clients := flag.String("clients", "100,1000,10000", "comma-separated numbers of clients that close at once")
	runs := flag.Int("runs", 5, "runs for each number of clients; percentiles are over all of them")
	discard := flag.Bool("discard", false, "discard the runtime's events instead of logging them through the default handler to standard error")
	approaches := flag.String("approaches", "generated,handwritten", "comma-separated approaches: generated, handwritten")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the closes to `file`")
	mutexProfile := flag.String("mutexprofile", "", "write a mutex contention profile to `file`")
	memProfile := flag.String("memprofile", "", "write an allocation profile to `file` (every 512th byte sampled)")
	traceFile := flag.String("trace", "", "write an execution trace of the closes to `file` (go tool trace -pprof=sched reads where goroutines waited to run)")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *traceFile != "" {
		f, err := os.Create(*traceFile)
		if err != nil {
			log.Fatal(err)
		}
		if err := trace.Start(f); err != nil {
			log.Fatal(err)
		}
		defer trace.Stop()
	}
	if *memProfile != "" {
		goruntime.MemProfileRate = 512
		defer writeProfile("allocs", *memProfile)
	}
	if *mutexProfile != "" {
		goruntime.SetMutexProfileFraction(1)
		defer writeProfile("mutex", *mutexProfile)
	}
	if *discard {
		slog.SetDefault(slog.New(slog.DiscardHandler))
	}
	var ns []int
	for f := range strings.SplitSeq(*clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "overshoot: bad -clients %q\n", *clients)
			os.Exit(2)
		}
		ns = append(ns, n)
	}

	events := "default slog handler to standard error"
	if *discard {
		events = "discarded"
	}
	fmt.Printf("close-time overshoot past a %v deadline, every client with a hung step, %d run(s) each, GOMAXPROCS=%d, events %s\n\n",
		timeout, *runs, goruntime.GOMAXPROCS(0), events)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "approach\tclients\tp50\tp99\tmax\tmedian run p99\tp99 of each run\t")
	for approach := range strings.SplitSeq(*approaches, ",") {
		for _, n := range ns {
			var all []time.Duration
			var perRun []string
			var runP99 []time.Duration
			for range *runs {
				over := closeAtOnce(approach, n)
				slices.Sort(over)
				perRun = append(perRun, round(percentile(over, 0.99)).String())
				runP99 = append(runP99, percentile(over, 0.99))
				all = append(all, over...)
			}
			slices.Sort(all)
			slices.Sort(runP99)
			fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t%v\t%v\t%s\t\n", approach, n,
				round(percentile(all, 0.50)), round(percentile(all, 0.99)), round(all[len(all)-1]),
				round(runP99[len(runP99)/2]), strings.Join(perRun, " "))
		}
	}
	tw.Flush()
}

// closeAtOnce builds n clients whose single resource hangs, closes them all
// at once, and returns each close's overshoot past timeout.
func closeAtOnce(approach string, n int) []time.Duration {
	release := make(chan struct{})
	defer close(release)
	closers := make([]func() error, n)
	for i := range closers {
		r := benchmarks.NewResources(1, benchmarks.Hung, release)
		switch approach {
		case "generated":
			closers[i] = benchmarks.NewOvershoot(r[0]).Close
		case "handwritten":
			c := benchmarks.NewHandWritten(r)
			closers[i] = func() error { return c.CloseWithin(timeout) }
		default:
			fmt.Fprintf(os.Stderr, "overshoot: unknown approach %q\n", approach)
			os.Exit(2)
		}
	}
	goruntime.GC()

	over := make([]time.Duration, n)
	start := make(chan struct{})
	var ready, done sync.WaitGroup
	for i, fn := range closers {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			t0 := time.Now()
			if err := fn(); err == nil {
				panic("Close returned nil with a hung resource")
			}
			over[i] = time.Since(t0) - timeout
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return over
}

func writeProfile(name, file string) {
	f, err := os.Create(file)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		log.Fatal(err)
	}
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	return sorted[min(int(p*float64(len(sorted))), len(sorted)-1)]
}

func round(d time.Duration) time.Duration {
	return d.Round(10 * time.Microsecond)
}
