package runtime

import (
	"context"
	"log/slog"
	goruntime "runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Events (log records and observer calls) are delivered after the fact, off
// the caller's path: a teardown hands the delivery one event, in O(1) and
// without calling user code, and one goroutine at a time (started when
// there is something to deliver, gone when there is not) turns it into log
// records and observer calls. The queue is bounded: when it is full, the
// event is dropped and counted, and the count is logged once delivery
// resumes.

// queueSize bounds the events waiting for delivery.
const queueSize = 1 << 14

// An event is what a teardown hands to the delivery: its Report, built on
// the delivery goroutine, or one abandoned step that returned.
type event struct {
	ended    reporter // a teardown whose caller returned
	returned *returnedStep
	failed   *refsFailure
}

// refsFailure is a Refs method (Take, Drop) that failed after the caller
// of its teardown returned.
type refsFailure struct {
	ctx    context.Context // the caller's
	client string
	step   StepReport
}

// A reporter builds the Report of a teardown whose caller has returned.
type reporter interface {
	report() Report
}

// returnedStep is an abandoned step that returned at last.
type returnedStep struct {
	client string
	ctx    context.Context // the caller's
	name   func() string   // named on the delivery goroutine
	// step is what the StepReport says but its Name.
	step StepReport
}

// deliveryState is the queue of events and the state of their delivery.
type deliveryState struct {
	mu      sync.Mutex
	queue   [queueSize]event
	head, n int
	running bool // a goroutine is delivering
	dropped int  // events dropped since the last delivery
	// queued and delivered count the events queued and delivered since
	// the process started; flushers wait for delivered to reach theirs.
	queued, delivered uint64
	flushers          []flusher
}

var delivery deliveryState

// flusher is a Flush waiting for the events queued before it.
type flusher struct {
	until uint64
	done  chan struct{}
}

// deliver queues e for delivery. It never blocks on, or calls, user code.
func deliver(e event) {
	d := &delivery
	d.mu.Lock()
	if d.n == len(d.queue) {
		d.dropped++
		d.mu.Unlock()
		return
	}
	d.queue[(d.head+d.n)%len(d.queue)] = e
	d.n++
	d.queued++
	start := !d.running
	d.running = true
	d.mu.Unlock()
	if start {
		go drain()
	}
}

// drain delivers queued events until none is left. It stops in the same
// critical section that finds the queue empty and counts the last event
// delivered, so that once Flush has returned no goroutine is delivering.
//
// A log handler or an observer that calls runtime.Goexit (t.FailNow in a
// test's observer) ends the goroutine that calls it, whatever recover does:
// the event it was given counts as delivered, and a new goroutine goes on
// with the rest.
func drain() {
	// A goroutine inherits the labels of the one that started it, a step's.
	pprof.SetGoroutineLabels(context.Background())
	d := &delivery
	inEvent, completed := false, false
	defer func() {
		if completed {
			return
		}
		if inEvent {
			d.mu.Lock()
			d.delivered++
			d.releaseFlushers()
			d.mu.Unlock()
		}
		go drain()
	}()
	d.mu.Lock()
	for d.n > 0 || d.dropped > 0 {
		var e event
		if d.n > 0 {
			e = d.queue[d.head]
			d.queue[d.head] = event{}
			d.head = (d.head + 1) % len(d.queue)
			d.n--
		}
		dropped := d.dropped
		d.dropped = 0
		inEvent = e != (event{})
		backlog := d.n > 0
		d.mu.Unlock()
		if dropped > 0 {
			recovered(func() {
				slog.Default().LogAttrs(context.Background(), slog.LevelWarn,
					"cleanup events dropped: the log handler or an observer is slow",
					slog.Int("cleanupgen.dropped", dropped))
			})
		}
		if !inEvent {
			d.mu.Lock()
			continue
		}
		e.deliver()
		if backlog {
			// Many teardowns ended at once (thousands of clients past one
			// deadline): the callers still on their way out go first. A
			// goroutine that formats records back to back keeps its core
			// for up to 10 ms before the scheduler preempts it.
			goruntime.Gosched()
		}
		d.mu.Lock()
		inEvent = false
		d.delivered++
		d.releaseFlushers()
	}
	d.running = false
	d.mu.Unlock()
	completed = true
}

// releaseFlushers lets the Flush calls whose events have all been
// delivered return. d.mu is held.
func (d *deliveryState) releaseFlushers() {
	d.flushers = slices.DeleteFunc(d.flushers, func(f flusher) bool {
		if f.until <= d.delivered {
			close(f.done)
			return true
		}
		return false
	})
}

// Flush waits until the log records and observer calls of every teardown
// that returned before it was called have been delivered, or until ctx is
// done, and then returns ctx's error. Events are delivered after the fact,
// off the caller's path (see the package documentation), so a program that
// exits as soon as its last Close returns calls Flush first, with a
// deadline, to keep the records of that Close. An event dropped because the
// queue was full is not waited for.
//
// Once Flush has returned nil, no goroutine of the runtime is delivering
// events until the next teardown ends. Tests that run teardowns inside a
// testing/synctest bubble, with a log handler or an observer of their own,
// call it before the bubble starts, so that no delivery goroutine from
// outside the bubble calls them.
func Flush(ctx context.Context) error {
	d := &delivery
	d.mu.Lock()
	if d.delivered >= d.queued {
		d.mu.Unlock()
		return nil
	}
	f := flusher{until: d.queued, done: make(chan struct{})}
	d.flushers = append(d.flushers, f)
	d.mu.Unlock()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		d.mu.Lock()
		d.flushers = slices.DeleteFunc(d.flushers, func(g flusher) bool { return g.done == f.done })
		d.mu.Unlock()
		return ctx.Err()
	}
}

// deliver turns e into log records and observer calls.
func (e event) deliver() {
	if e.returned != nil {
		s := e.returned
		name := ""
		recovered(func() { name = s.name() })
		sr := s.step
		sr.Name = name
		recovered(func() {
			l := slog.Default()
			ctx := orBackground(s.ctx)
			if !l.Enabled(ctx, slog.LevelInfo) {
				return
			}
			var buf [maxStepAttrs]slog.Attr
			l.LogAttrs(ctx, slog.LevelInfo, "cleanup step returned after it was abandoned", stepAttrs(buf[:0], s.client, sr)...)
		})
		eachObserver(func(o Observer) { o.Returned(s.client, sr) })
		return
	}
	if f := e.failed; f != nil {
		recovered(func() {
			ctx := orBackground(f.ctx)
			var buf [maxStepAttrs]slog.Attr
			slog.Default().LogAttrs(ctx, slog.LevelWarn, "cleanup "+f.step.Name+" "+f.step.State.String(), stepAttrs(buf[:0], f.client, f.step)...)
		})
		return
	}
	var r Report
	recovered(func() { r = e.ended.report() })
	recovered(func() { logReport(r) })
	eachObserver(func(o Observer) { o.Ended(r) })
}

// recovered calls fn and recovers a panic in it: a log handler or an
// observer that panics loses its event, never the process.
func recovered(fn func()) {
	defer func() { _ = recover() }()
	fn()
}

// logReport logs each step of r through slog.Default: at Warn a step that
// failed, panicked, timed out, was forced, was abandoned or was not started
// by the deadline, at Debug one that succeeded.
func logReport(r Report) {
	l := slog.Default()
	ctx := orBackground(r.Context)
	debug := l.Enabled(ctx, slog.LevelDebug)
	quietLog.debug.Store(debug)
	quietLog.logger.Store(l)
	warn := l.Enabled(ctx, slog.LevelWarn)
	var buf [maxStepAttrs]slog.Attr
	for _, s := range r.Steps {
		level := slog.LevelWarn
		if s.State == StateOK {
			if !debug {
				continue
			}
			level = slog.LevelDebug
		} else if !warn {
			continue
		}
		l.LogAttrs(ctx, level, "cleanup step "+s.State.String(), stepAttrs(buf[:0], r.Client, s)...)
	}
}

// orBackground returns ctx, or context.Background() when it is nil: log
// records carry the caller's context, so that a handler that adds trace IDs
// finds the caller's span.
func orBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

// The keys of the attributes of the runtime's log records: one namespace,
// cleanupgen., shared with otelcleanup's attributes. The error is under
// slog's usual "error".
const (
	keyClient   = "cleanupgen.client"
	keyTeardown = "cleanupgen.teardown.id"
	keyStep     = "cleanupgen.step"
	keyField    = "cleanupgen.field"
	keyIndex    = "cleanupgen.index"
	keyPhase    = "cleanupgen.phase"
	keyState    = "cleanupgen.state"
	keyDuration = "cleanupgen.duration"
	keyBudget   = "cleanupgen.budget"
	keyForced   = "cleanupgen.forced"
	keyStack    = "cleanupgen.stack"
	keyError    = "error"
)

// maxStepAttrs is the most attributes stepAttrs appends.
const maxStepAttrs = 12

// stepAttrs appends to attrs, and returns, the attributes of a log record
// about step s of client: the client, the teardown's ID, the step, its
// field and index when it is an element of a collection, its phase, its
// state, its duration if it started, its budget if positive, whether it was
// forced, where it was stuck if known, and its error if any. Callers pass
// an array of maxStepAttrs of their own, which stays on their stack: a
// record per abandoned step allocates no slice of attributes (with
// thousands of them at one deadline, the garbage sets the tail).
func stepAttrs(attrs []slog.Attr, client string, s StepReport) []slog.Attr {
	attrs = append(attrs,
		slog.String(keyClient, client),
		slog.Uint64(keyTeardown, s.Teardown),
		slog.String(keyStep, s.Name),
	)
	if s.Index >= 0 {
		attrs = append(attrs, slog.String(keyField, s.Field), slog.Int(keyIndex, s.Index))
	}
	attrs = append(attrs, slog.Int(keyPhase, s.Phase), slog.String(keyState, s.State.String()))
	if !s.Start.IsZero() {
		attrs = append(attrs, slog.Duration(keyDuration, s.End.Sub(s.Start)))
	}
	if s.Budget > 0 {
		attrs = append(attrs, slog.Duration(keyBudget, s.Budget))
	}
	if s.Forced {
		attrs = append(attrs, slog.Bool(keyForced, true))
	}
	if len(s.Stack) > 0 {
		attrs = append(attrs, slog.String(keyStack, strings.Join(s.Stack, " <- ")))
	}
	if s.Err != nil {
		attrs = append(attrs, slog.Any(keyError, s.Err))
	}
	return attrs
}

// quietLog remembers whether the default logger had Debug enabled when
// delivery last asked it, so that a teardown in which every step succeeded
// skips delivery when nobody would see it. The logger is kept to notice
// slog.SetDefault.
var quietLog struct {
	logger atomic.Pointer[slog.Logger]
	debug  atomic.Bool
}

// quiet reports whether a teardown in which every step succeeded can skip
// delivery: no observer is installed and the default logger did not have
// Debug enabled when delivery last asked it. It calls no user code.
func quiet() bool {
	return !observing() && quietLog.logger.Load() == slog.Default() && !quietLog.debug.Load()
}
