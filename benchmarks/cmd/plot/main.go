// Plot draws close time against the configured deadline for a client whose
// first resource hangs for 300ms, one line per approach, and prints the
// figures it drew.
//
// Usage:
//
//	go run ./cmd/plot [-o close-time.png] [-overshoot close-overshoot.png] [-reps 3]
//
// The client holds eight resources: the first hangs until it is released
// 300ms after Close starts, the seven others take a millisecond each. Each
// point is the median of -reps closes, in real time. The lines:
//
//   - generated, deadlines on: the generated sequential Close (order=N), as
//     it runs by default;
//   - generated, deadlines off: the same Close with runtime.SetDeadlines(false),
//     which is what CLEANUPGEN_DEADLINES=off does: before cleanupgen;
//   - hand-written wrapper, fx App.Stop: the other approaches with a deadline;
//   - errgroup, plain Close: the approaches without one.
package main

import (
	"flag"
	"fmt"
	"image/color"
	"log"
	"log/slog"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/cleanupgen/cleanupgen/benchmarks"
	"github.com/cleanupgen/cleanupgen/runtime"
)

// hangFor is how long the hung resource hangs.
const hangFor = 300 * time.Millisecond

// line is one approach on the plot.
type line struct {
	label    string
	color    color.Color
	dashes   []vg.Length
	deadOff  bool // run with runtime.SetDeadlines(false)
	deadline bool // the approach returns by its deadline
	prepare  func(rs []*benchmarks.Resource, deadline time.Duration) (func() error, error)
}

func main() {
	out := flag.String("o", "close-time.png", "the PNG `file` to write")
	overOut := flag.String("overshoot", "", "also write a PNG `file` of the close time past the deadline, for the approaches with one")
	reps := flag.Int("reps", 3, "closes per point; the point is their median")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("plot: ")
	slog.SetDefault(slog.New(slog.DiscardHandler)) // a Warn line per abandoned step is not the point here

	byName := func(name string, seq bool) func([]*benchmarks.Resource, time.Duration) (func() error, error) {
		for _, a := range benchmarks.Approaches {
			if a.Name == name && a.Seq == seq {
				return a.Prepare
			}
		}
		log.Fatalf("no approach %s", name)
		return nil
	}
	lines := []line{
		{label: "generated, deadlines on", color: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, deadline: true, prepare: byName("generated", true)},
		{label: "generated, CLEANUPGEN_DEADLINES=off", color: color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, dashes: []vg.Length{vg.Points(6), vg.Points(3)}, deadOff: true, prepare: byName("generated", true)},
		{label: "hand-written wrapper", color: color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, deadline: true, prepare: byName("handwritten", true)},
		{label: "fx App.Stop", color: color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, dashes: []vg.Length{vg.Points(2), vg.Points(2)}, deadline: true, prepare: byName("fx", true)},
		{label: "errgroup (no deadline)", color: color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, prepare: byName("errgroup", false)},
		{label: "plain Close (no deadline)", color: color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, dashes: []vg.Length{vg.Points(6), vg.Points(3)}, prepare: byName("plain", true)},
	}
	deadlines := []time.Duration{10, 25, 50, 75, 100, 125, 150, 175, 200}
	for i := range deadlines {
		deadlines[i] *= time.Millisecond
	}

	p := plot.New()
	p.Title.Text = fmt.Sprintf("Close of 8 resources, the first hung for %v", hangFor)
	p.X.Label.Text = "configured deadline (ms)"
	p.Y.Label.Text = "measured close time (ms)"
	p.X.Min, p.Y.Min, p.Y.Max = 0, 0, 450 // room above the 300ms lines for the legend
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = true
	diag, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 200, Y: 200}})
	if err != nil {
		log.Fatal(err)
	}
	diag.Color, diag.Width, diag.Dashes = color.Gray{Y: 0xa0}, vg.Points(0.75), []vg.Length{vg.Points(1), vg.Points(3)}
	p.Add(diag)
	p.Legend.Add("close time = deadline", diag)

	over := plot.New()
	over.Title.Text = "Close time past the deadline (same runs)"
	over.X.Label.Text = "configured deadline (ms)"
	over.Y.Label.Text = "close time - deadline (ms)"
	over.X.Min, over.Y.Min, over.Y.Max = 0, 0, 3
	over.Add(plotter.NewGrid())
	over.Legend.Top = true
	over.Legend.Left = true

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "deadline\t")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t", l.label)
	}
	fmt.Fprintln(tw)
	table := make([][]time.Duration, len(deadlines))
	for _, l := range lines {
		pts := make(plotter.XYs, len(deadlines))
		for di, d := range deadlines {
			t := median(*reps, func() time.Duration { return closeOnce(l, d) })
			pts[di] = plotter.XY{X: ms(d), Y: ms(t)}
			table[di] = append(table[di], t)
		}
		pl, err := plotter.NewLine(pts)
		if err != nil {
			log.Fatal(err)
		}
		pl.Color, pl.Width, pl.Dashes = l.color, vg.Points(1.5), l.dashes
		sc, err := plotter.NewScatter(pts)
		if err != nil {
			log.Fatal(err)
		}
		sc.Color, sc.Shape = l.color, draw.CircleGlyph{}
		p.Add(pl, sc)
		p.Legend.Add(l.label, pl)
		if l.deadline {
			opts := make(plotter.XYs, len(pts))
			for i, pt := range pts {
				opts[i] = plotter.XY{X: pt.X, Y: pt.Y - pt.X}
			}
			ol, err := plotter.NewLine(opts)
			if err != nil {
				log.Fatal(err)
			}
			ol.Color, ol.Width, ol.Dashes = l.color, vg.Points(1.5), l.dashes
			over.Add(ol)
			over.Legend.Add(l.label, ol)
		}
	}
	for di, d := range deadlines {
		fmt.Fprintf(tw, "%v\t", d)
		for _, t := range table[di] {
			fmt.Fprintf(tw, "%v\t", t.Round(100*time.Microsecond))
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	if err := p.Save(8*vg.Inch, 5*vg.Inch, *out); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", *out)
	if *overOut != "" {
		if err := over.Save(8*vg.Inch, 4*vg.Inch, *overOut); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", *overOut)
	}
}

// closeOnce builds the client for l and times one Close with deadline d.
func closeOnce(l line, d time.Duration) time.Duration {
	release := make(chan struct{})
	rs := benchmarks.NewResources(8, benchmarks.Sleep1ms, nil)
	rs[0] = benchmarks.NewResources(1, benchmarks.Hung, release)[0]
	if l.deadOff {
		defer runtime.SetDeadlines(false)()
	}
	closeFn, err := l.prepare(rs, d)
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	thaw := time.AfterFunc(hangFor, func() { close(release) })
	_ = closeFn() // a deadline error is the point
	took := time.Since(start)
	if !thaw.Stop() {
		return took
	}
	close(release)
	return took
}

func median(n int, f func() time.Duration) time.Duration {
	ts := make([]time.Duration, n)
	for i := range ts {
		ts[i] = f()
	}
	slices.Sort(ts)
	return ts[n/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
