// Package otelcleanup reports the teardowns of cleanupgen's runtime to
// OpenTelemetry: one call to [Install], and every teardown of the process
// (a generated Close, a runtime.Plan, a runtime.Manager) yields spans and
// metrics.
//
//	uninstall := otelcleanup.Install() // the global providers
//	defer uninstall()                  // delivers what is pending first
//
// # Traces
//
// Each teardown is a span named after the client type (such as
// "vision.VisionDataClient", or the name given to a runtime.Manager), a
// child of the span in the context given to CloseContext (or NewManager),
// if any, from the moment the close began to the moment its caller
// returned. It carries cleanupgen.client, cleanupgen.teardown.id (the
// runtime.Report's ID) and cleanupgen.deadline (RFC 3339), and, when the
// close did not succeed, the status Error with the close's error and
// error.type (see Metrics). A close that a step of another teardown ran
// with the step's context (a client closing its child) is a child of the
// same span as that teardown's, and carries cleanupgen.teardown.parent_id,
// that teardown's ID.
//
// Each field is a child span of it, named after the field, from the moment
// its step started to the moment it returned or, for an abandoned step, the
// moment it was abandoned. A field whose step had not started by the
// deadline is a span of no length at the end of the close. A field's span
// carries cleanupgen.client, cleanupgen.field, cleanupgen.step (the step's
// name), cleanupgen.state, cleanupgen.phase, cleanupgen.budget (seconds,
// when it had one), cleanupgen.forced, and, when the step did not succeed,
// error.type, the status Error with the step's error and, for an abandoned
// step, cleanupgen.stack: the top frames of where it was stuck, innermost
// first, when the runtime found them. The keys are those of the runtime's
// log records, which carry the caller's context: a log handler that adds
// trace IDs correlates them with these spans.
//
// A collection (a slice, array or map torn down element by element) is one
// span named after its field, however many elements it has: it carries
// cleanupgen.element.count and, per state, the number of elements that
// ended so, such as cleanupgen.element.failed_count; its state is the worst
// of its elements'. Only the elements that did not succeed get a span of
// their own (the first [MaxElementSpans] of them), a child of the
// collection's, named after the field too: the element is in
// cleanupgen.step (such as conns["10.0.0.1:5432"]) and cleanupgen.index,
// never in a span name, so that span names stay few.
//
// A step abandoned at the deadline that returns at last (see
// runtime.Observer) yields a span of no length named after its field and
// " returned", a child of its close's span and linked to the abandoned
// step's span, with the event cleanupgen.step.returned: its state, its
// error.type, and how long it had run. (A root span, with
// cleanupgen.teardown.id, for a step whose close was reported before
// Install or by another installation.)
//
// What a failed close looks like, for a client whose database hung and
// whose cache failed:
//
//	store.Store   Error  error.type=abandoned  cleanup store.Store: 2 steps did not succeed: ...
//	├── index            cleanupgen.state=forced cleanupgen.phase=0 cleanupgen.budget=0.2 cleanupgen.forced=true
//	├── cache     Error  cleanupgen.state=failed error.type=*net.OpError cleanupgen.phase=1
//	└── db        Error  cleanupgen.state=abandoned error.type=abandoned cleanupgen.stack=[net.(*conn).Read ...]
//	db returned          (later) event cleanupgen.step.returned, linked to db
//
// # Metrics
//
//	cleanupgen.close.duration        histogram (s)   how long each close took its caller
//	cleanupgen.step.duration         histogram (s)   how long each step ran, until it returned or was abandoned
//	cleanupgen.steps                 counter {step}  steps, by how they ended
//	cleanupgen.step.abandoned.count  gauge {step}    steps abandoned at their deadline and still running
//
// The close duration carries cleanupgen.client; the steps' metrics
// cleanupgen.client, cleanupgen.field and cleanupgen.state. A close or a
// step that did not succeed carries error.type: for a step that failed, the
// Go type of its error (such as *net.OpError; fmt's wrappers are looked
// through); otherwise its state (panicked, timed_out, abandoned,
// not_started); for a close, the worst state among its steps. The
// histograms have explicit boundaries from a millisecond to ten minutes
// ([DurationBoundaries]), since a teardown takes anything from a
// millisecond to a Kubernetes grace period. The gauge reads
// runtime.Abandoned when it is collected, per client and field: it is
// never negative, counts steps abandoned before Install too, and reports
// 0 for a field once its steps have returned. Points are recorded with the
// close span's context, so that exemplars link them to the trace.
//
// States are written without spaces: ok, failed, panicked, timed_out,
// forced, abandoned, not_started.
//
// The instrumentation scope of the tracer and the meter is [ScopeName],
// with [Version] as its version.
//
// # When
//
// The runtime hands the reports to otelcleanup after the fact, off the
// caller's path (runtime.AddObserver): a slow exporter never delays a
// Close. The spans therefore start and end in the past, with the times
// the runtime measured.
package otelcleanup

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// ScopeName is the name of the instrumentation scope of the tracer and the
// meter: this module's path.
const ScopeName = "github.com/cleanupgen/cleanupgen/otelcleanup"

// The attribute keys, in the cleanupgen namespace (shared with the
// runtime's log records), and the semantic conventions' error.type.
const (
	ClientKey     = attribute.Key("cleanupgen.client")
	TeardownIDKey = attribute.Key("cleanupgen.teardown.id")
	// ParentTeardownIDKey is the teardown.id of the teardown whose step
	// ran this close.
	ParentTeardownIDKey = attribute.Key("cleanupgen.teardown.parent_id")
	DeadlineKey         = attribute.Key("cleanupgen.deadline")
	FieldKey            = attribute.Key("cleanupgen.field")
	StepKey             = attribute.Key("cleanupgen.step")
	StateKey            = attribute.Key("cleanupgen.state")
	PhaseKey            = attribute.Key("cleanupgen.phase")
	BudgetKey           = attribute.Key("cleanupgen.budget")
	ForcedKey           = attribute.Key("cleanupgen.forced")
	ElementIndexKey     = attribute.Key("cleanupgen.index")
	ElementCountKey     = attribute.Key("cleanupgen.element.count")
	// ElementOmittedKey counts the elements that did not succeed beyond
	// the first MaxElementSpans, which have no span.
	ElementOmittedKey = attribute.Key("cleanupgen.element.omitted_count")
	ErrorTypeKey      = attribute.Key("error.type")
	StackKey          = attribute.Key("cleanupgen.stack")
)

// ReturnedEvent is the name of the span event of an abandoned step that
// returned at last.
const ReturnedEvent = "cleanupgen.step.returned"

// Install makes every teardown of the process, from the next one on,
// yield the spans and metrics the package documentation describes, with
// the global TracerProvider and MeterProvider (otel.GetTracerProvider,
// otel.GetMeterProvider) unless options say otherwise. Installing twice
// reports every teardown twice.
//
// It returns uninstall, which, in order: waits until the reports of the
// teardowns whose callers returned before it was called have been turned
// into spans and metrics (runtime.Flush), or until [DefaultFlushTimeout]
// (see [WithFlushTimeout]) has passed; stops reporting teardowns and stops
// the abandoned-steps gauge; and asks the providers that have a ForceFlush
// method (as the SDK's do) to export what they hold, within what is left
// of that time. So a program that closes its clients, uninstalls, and then
// shuts its providers down loses no span. Calling uninstall more than once
// is harmless; it is safe for concurrent use.
//
// An instrument that cannot be created is reported to otel.Handle and
// replaced by one that records nothing.
func Install(opts ...Option) (uninstall func()) {
	c := config{flush: DefaultFlushTimeout}
	for _, opt := range opts {
		opt.apply(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	o := newObserver(c)
	remove := runtime.AddObserver(o)
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx := context.Background()
			if c.flush > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, c.flush)
				defer cancel()
				_ = runtime.Flush(ctx)
			}
			remove()
			o.stop()
			if c.flush > 0 {
				forceFlush(ctx, c.tp)
				forceFlush(ctx, c.mp)
			}
		})
	}
}

// forceFlush asks p to export what it holds, if it can.
func forceFlush(ctx context.Context, p any) {
	if f, ok := p.(interface{ ForceFlush(context.Context) error }); ok {
		if err := f.ForceFlush(ctx); err != nil {
			otel.Handle(err)
		}
	}
}

// observer turns the runtime's reports into spans and metrics. The runtime
// calls Ended and Returned one at a time; the gauge's callback runs when a
// reader collects.
type observer struct {
	tracer trace.Tracer
	metrics

	mu sync.Mutex
	// late holds the spans of each abandoned step until it returns, for
	// the span of its return.
	late map[lateKey]lateSpans
}

// lateKey names an abandoned step: its teardown and its name.
type lateKey struct {
	teardown uint64
	name     string
}

// lateSpans are the spans an abandoned step's return is linked to.
type lateSpans struct {
	close, step trace.SpanContext
	field       string
}

func newObserver(c config) *observer {
	o := &observer{
		tracer: c.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version)),
		late:   make(map[lateKey]lateSpans),
	}
	o.metrics.init(c.mp.Meter(ScopeName, metric.WithInstrumentationVersion(version)))
	return o
}

// Ended records one teardown: its spans, then its metrics.
func (o *observer) Ended(r runtime.Report) {
	ctx := o.spans(r)
	o.record(ctx, r)
}

// Returned records that an abandoned step returned at last.
func (o *observer) Returned(client string, s runtime.StepReport) {
	o.mu.Lock()
	k := lateKey{s.Teardown, s.Name}
	l, ok := o.late[k]
	delete(o.late, k)
	o.mu.Unlock()
	if !ok {
		l.field = fieldOf(s)
	}
	o.returned(client, s, l)
}

// stop forgets what the observer holds once it is removed.
func (o *observer) stop() {
	o.metrics.stop()
	o.mu.Lock()
	clear(o.late)
	o.mu.Unlock()
}
