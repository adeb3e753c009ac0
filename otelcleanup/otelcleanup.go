// Package otelcleanup reports the teardowns of cleanupgen's runtime to
// OpenTelemetry: one call to [Install], and every teardown of the process
// (a generated Close, a runtime.Plan, a runtime.Manager) yields spans and
// metrics.
//
//	uninstall := otelcleanup.Install() // the global providers
//	defer uninstall()
//
// Traces. Each teardown is a span named "cleanup " and the client type (such
// as "cleanup vision.VisionDataClient"), a child of the span in the context
// given to CloseContext (or NewManager), if any, from the moment the close
// began to the moment its caller returned. Each step is a child span of it,
// named after the step, from the moment the step started to the moment it
// returned, or, for an abandoned step, the moment it was abandoned. A step
// that had not started by the deadline is a span of no length at the end
// of the close. Every span carries the attributes cleanup.client and, for
// steps, cleanup.step and cleanup.state (the runtime.State's name: "ok",
// "failed", "abandoned", ...). A close that did not succeed, and a step
// that failed, panicked, timed out, was abandoned or did not start, has
// the status Error and records its error.
//
// Metrics, each with the attribute cleanup.client:
//
//	cleanup.close.duration   histogram (s)           how long each close took its caller
//	cleanup.steps            counter ({step})        steps by cleanup.state
//	cleanup.steps.abandoned  up-down counter ({step}) steps abandoned and still running:
//	                                                 +1 when abandoned, -1 when they return
//
// The runtime hands the reports to otelcleanup after the fact, off the
// caller's path (runtime.AddObserver): a slow exporter never delays a
// Close. The spans therefore start and end in the past, with the times
// the runtime measured.
package otelcleanup

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// ScopeName is the instrumentation scope of the tracer and the meter.
const ScopeName = "github.com/cleanupgen/cleanupgen/otelcleanup"

// The attribute keys.
const (
	ClientKey = attribute.Key("cleanup.client")
	StepKey   = attribute.Key("cleanup.step")
	StateKey  = attribute.Key("cleanup.state")
)

// An Option configures [Install].
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider makes Install create spans with tp rather than the
// global TracerProvider.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider makes Install record metrics with mp rather than the
// global MeterProvider.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// Install makes every teardown of the process, from the next one on,
// yield the spans and metrics the package documentation describes, with
// the global TracerProvider and MeterProvider (otel.GetTracerProvider,
// otel.GetMeterProvider) unless options say otherwise. It returns a
// function that stops it; calling that more than once is harmless.
// Installing twice reports every teardown twice.
//
// An instrument that cannot be created is reported to otel.Handle and
// replaced by one that records nothing.
func Install(opts ...Option) (uninstall func()) {
	c := config{}
	for _, opt := range opts {
		opt(&c)
	}
	if c.tp == nil {
		c.tp = otel.GetTracerProvider()
	}
	if c.mp == nil {
		c.mp = otel.GetMeterProvider()
	}
	return runtime.AddObserver(newObserver(c))
}

// observer turns the runtime's reports into spans and metrics. The
// runtime calls it one report at a time.
type observer struct {
	tracer    trace.Tracer
	duration  metric.Float64Histogram
	steps     metric.Int64Counter
	abandoned metric.Int64UpDownCounter
}

func newObserver(c config) *observer {
	meter := c.mp.Meter(ScopeName)
	o := &observer{tracer: c.tp.Tracer(ScopeName)}
	var err error
	if o.duration, err = meter.Float64Histogram("cleanup.close.duration",
		metric.WithUnit("s"),
		metric.WithDescription("How long a close took its caller, from its start to its return."),
	); err != nil {
		otel.Handle(err)
	}
	if o.steps, err = meter.Int64Counter("cleanup.steps",
		metric.WithUnit("{step}"),
		metric.WithDescription("Teardown steps, by how they ended (cleanup.state)."),
	); err != nil {
		otel.Handle(err)
	}
	if o.abandoned, err = meter.Int64UpDownCounter("cleanup.steps.abandoned",
		metric.WithUnit("{step}"),
		metric.WithDescription("Teardown steps abandoned at their deadline and still running."),
	); err != nil {
		otel.Handle(err)
	}
	return o
}

// Ended records one teardown: its spans, then its metrics.
func (o *observer) Ended(r runtime.Report) {
	client := ClientKey.String(r.Client)
	ctx, span := o.tracer.Start(parent(r.Context), "cleanup "+r.Client,
		trace.WithTimestamp(r.Start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(client),
	)
	if r.Err != nil {
		span.RecordError(r.Err, trace.WithTimestamp(r.End))
		span.SetStatus(codes.Error, r.Err.Error())
	}
	for _, s := range r.Steps {
		o.step(ctx, client, r.End, s)
	}
	span.End(trace.WithTimestamp(r.End))

	set := metric.WithAttributeSet(attribute.NewSet(client))
	o.duration.Record(context.Background(), r.End.Sub(r.Start).Seconds(), set)
	for _, s := range r.Steps {
		o.steps.Add(context.Background(), 1, metric.WithAttributeSet(attribute.NewSet(client, StateKey.String(s.State.String()))))
		if s.State == runtime.StateAbandoned {
			o.abandoned.Add(context.Background(), 1, set)
		}
	}
}

// step records one step's span, a child of the close's span in ctx. A step
// that never started is a span of no length at end, the close's end.
func (o *observer) step(ctx context.Context, client attribute.KeyValue, end time.Time, s runtime.StepReport) {
	start, stop := s.Start, s.End
	if start.IsZero() {
		start, stop = end, end
	}
	_, span := o.tracer.Start(ctx, s.Name,
		trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(client, StepKey.String(s.Name), StateKey.String(s.State.String())),
	)
	if failed(s.State) {
		if s.Err != nil {
			span.RecordError(s.Err, trace.WithTimestamp(stop))
			span.SetStatus(codes.Error, s.Err.Error())
		} else {
			span.SetStatus(codes.Error, s.State.String())
		}
	}
	span.End(trace.WithTimestamp(stop))
}

// Returned records that an abandoned step returned at last.
func (o *observer) Returned(client string, s runtime.StepReport) {
	o.abandoned.Add(context.Background(), -1, metric.WithAttributeSet(attribute.NewSet(ClientKey.String(client))))
}

// failed reports whether a step that ended in state s did not succeed.
func failed(s runtime.State) bool {
	return s != runtime.StateOK && s != runtime.StateForced
}

// parent returns ctx, or the background context when ctx is nil. The
// span in ctx, if any, is the parent of the close's span; ctx's
// cancellation does not matter.
func parent(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}
