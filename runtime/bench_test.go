package runtime

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"
)

// benchClient has eight resources whose Close does nothing.
type benchClient struct {
	guard Guard
	res   [8]*nopCloser
}

type nopCloser struct{ closed int }

func (c *nopCloser) Close() error { c.closed++; return nil }

// benchRefs is what generated code writes for benchClient: the resources,
// taken step by step as each step starts (StepTaker), and one switch.
type benchRefs struct{ res [8]*nopCloser }

func (r *benchRefs) Take(x *benchClient) {
	for step := range len(r.res) {
		r.TakeStep(x, step)
	}
}
func (r *benchRefs) TakeStep(x *benchClient, step int) { r.res[step] = x.res[step] }
func (r *benchRefs) Drop(x *benchClient)               { x.res = [8]*nopCloser{} }
func (r *benchRefs) Len(int) int                       { return 0 }
func (r *benchRefs) Name(int, int) string              { return "" }

func (r *benchRefs) Close(_ context.Context, step, _ int, _ bool) error {
	if r.res[step] == nil {
		return nil
	}
	return r.res[step].Close()
}

func benchPlan(phases bool) *Plan[benchClient, benchRefs] {
	p := &Plan[benchClient, benchRefs]{Type: "bench.Client", Timeout: time.Minute}
	for i := range 8 {
		phase := 0
		if phases {
			phase = i
		}
		p.Steps = append(p.Steps, Step{Name: "res" + strconv.Itoa(i), Phase: phase})
	}
	return p
}

// closeAll closes c's resources one after the other and joins their
// errors: the work of the hand-written wrappers' goroutine.
func (c *benchClient) closeAll() error {
	var errs []error
	for _, r := range c.res {
		if err := r.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func newBenchClient() *benchClient {
	c := &benchClient{}
	for i := range c.res {
		c.res[i] = &nopCloser{}
	}
	return c
}

// BenchmarkTeardown closes a client of eight no-op resources, all in one
// phase (concurrently) or each in a phase of its own (sequentially).
func BenchmarkTeardown(b *testing.B) {
	for _, bc := range []struct {
		name   string
		phases bool
	}{{"8steps-1phase", false}, {"8steps-8phases", true}} {
		b.Run(bc.name, func(b *testing.B) {
			td := benchPlan(bc.phases)
			b.ReportAllocs()
			for b.Loop() {
				c := newBenchClient()
				if err := td.Close(context.Background(), &c.guard, c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHandWrittenDeadline is the baseline for sequential teardown: one
// goroutine closes the eight resources in turn while the caller waits for it
// or for a timer.
func BenchmarkHandWrittenDeadline(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchClient()
		done := make(chan error, 1)
		go func() { done <- c.closeAll() }()
		t := time.NewTimer(time.Minute)
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
		case <-t.C:
			b.Fatal("deadline")
		}
		t.Stop()
		c.res = [8]*nopCloser{}
	}
}

// BenchmarkHandWrittenContext is BenchmarkHandWrittenDeadline with the
// deadline carried by context.WithTimeout instead of a bare timer, as many
// hand-written wrappers are written.
func BenchmarkHandWrittenContext(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchClient()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		done := make(chan error, 1)
		go func() { done <- c.closeAll() }()
		select {
		case err := <-done:
			if err != nil {
				b.Fatal(err)
			}
		case <-ctx.Done():
			b.Fatal("deadline")
		}
		cancel()
		c.res = [8]*nopCloser{}
	}
}

// bookResult is the result a hand-written Close with bookkeeping keeps of
// a step.
type bookResult struct {
	err error
	dur time.Duration
}

// awaitBookkept is the caller's side of the hand-written Closes with
// bookkeeping: it waits for done, for its timer or for the caller's
// context, as the generated Close does, and then reads the steps' results
// under mu.
func awaitBookkept(b *testing.B, done <-chan struct{}, mu *sync.Mutex, results []bookResult) {
	t := time.NewTimer(time.Minute)
	ctx := context.Background()
	select {
	case <-done:
	case <-t.C:
		b.Fatal("deadline")
	case <-ctx.Done():
		b.Fatal("cancelled")
	}
	t.Stop()
	mu.Lock()
	defer mu.Unlock()
	for _, r := range results {
		if r.err != nil {
			b.Fatal(r.err)
		}
	}
}

// BenchmarkHandWrittenBookkeeping is BenchmarkHandWrittenDeadline plus what
// a generated Close keeps and the wrapper does not: a result per step
// under a lock, the clock read once per step for its duration, and a wait
// that also watches the caller's context. It is the floor of the design
// for BenchmarkTeardown/8steps-8phases: what is left above it is the
// runtime's own overhead.
func BenchmarkHandWrittenBookkeeping(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchClient()
		var mu sync.Mutex
		results := make([]bookResult, len(c.res))
		done := make(chan struct{})
		start := time.Now()
		go func() {
			for i, r := range c.res {
				err := r.Close()
				now := time.Since(start)
				mu.Lock()
				results[i] = bookResult{err: err, dur: now}
				mu.Unlock()
			}
			close(done)
		}()
		awaitBookkept(b, done, &mu, results)
		c.res = [8]*nopCloser{}
	}
}

// BenchmarkWaitGroupNoDeadline is the baseline for concurrent teardown: what
// errgroup does, with no deadline at all.
func BenchmarkWaitGroupNoDeadline(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchClient()
		var wg sync.WaitGroup
		var mu sync.Mutex
		var first error
		for _, r := range c.res {
			wg.Go(func() {
				if err := r.Close(); err != nil {
					mu.Lock()
					first = cmpOr(first, err)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if first != nil {
			b.Fatal(first)
		}
	}
}

// BenchmarkHandWrittenConcurrentBookkeeping is BenchmarkWaitGroupNoDeadline
// plus what a generated Close keeps and errgroup does not, as
// BenchmarkHandWrittenBookkeeping is for the sequential teardown: a result
// per step under a lock, the clock read once per step, and a wait that
// watches a timer and the caller's context; the last step to return wakes
// the caller. It is the floor of the design for
// BenchmarkTeardown/8steps-1phase.
func BenchmarkHandWrittenConcurrentBookkeeping(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c := newBenchClient()
		var mu sync.Mutex
		results := make([]bookResult, len(c.res))
		pending := len(c.res)
		done := make(chan struct{})
		start := time.Now()
		for i, r := range c.res {
			go func() {
				err := r.Close()
				now := time.Since(start)
				mu.Lock()
				results[i] = bookResult{err: err, dur: now}
				pending--
				if pending == 0 {
					close(done)
				}
				mu.Unlock()
			}()
		}
		awaitBookkept(b, done, &mu, results)
		c.res = [8]*nopCloser{}
	}
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func BenchmarkGuardEnterLeave(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		var g Guard
		for b.Loop() {
			if g.Enter() == nil {
				g.Leave()
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		var g Guard
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if g.Enter() == nil {
					g.Leave()
				}
			}
		})
	})
}

func BenchmarkManager(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(map[int]string{1: "1task", 8: "8tasks"}[n], func(b *testing.B) {
			b.ReportAllocs()
			nop := func(context.Context) error { return nil }
			for b.Loop() {
				m := NewManager(context.Background(), time.Minute)
				for range n {
					m.Go("task", nop)
				}
				if err := m.Wait(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
