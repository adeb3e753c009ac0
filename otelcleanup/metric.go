package otelcleanup

import (
	"context"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// DurationBoundaries are the explicit bucket boundaries, in seconds, of
// the duration histograms: from a millisecond, for a close whose steps
// return at once, to ten minutes, beyond the longest grace periods. It
// must not be modified.
var DurationBoundaries = []float64{
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 5, 10, 30, 60, 120, 300, 600,
}

// The metrics' names.
const (
	CloseDurationName  = "cleanupgen.close.duration"
	StepDurationName   = "cleanupgen.step.duration"
	StepsName          = "cleanupgen.steps"
	AbandonedStepsName = "cleanupgen.step.abandoned.count"
)

// metrics are the instruments of an observer.
type metrics struct {
	closeDuration metric.Float64Histogram
	stepDuration  metric.Float64Histogram
	steps         metric.Int64Counter
	abandoned     metric.Int64ObservableGauge
	reg           metric.Registration

	mu sync.Mutex
	// seen are the client and field pairs the gauge has reported: it
	// reports 0 for those whose steps have all returned.
	seen map[gaugeKey]struct{}
}

type gaugeKey struct{ client, field string }

// init creates the instruments with meter; one that cannot be created is
// reported to otel.Handle and records nothing.
func (m *metrics) init(meter metric.Meter) {
	m.seen = make(map[gaugeKey]struct{})
	var none noop.Meter
	var err error
	if m.closeDuration, err = meter.Float64Histogram(CloseDurationName,
		metric.WithUnit("s"),
		metric.WithDescription("How long a close took its caller, from its start to its return."),
		metric.WithExplicitBucketBoundaries(DurationBoundaries...),
	); err != nil {
		otel.Handle(err)
		m.closeDuration, _ = none.Float64Histogram(CloseDurationName)
	}
	if m.stepDuration, err = meter.Float64Histogram(StepDurationName,
		metric.WithUnit("s"),
		metric.WithDescription("How long a teardown step ran, until it returned or was abandoned."),
		metric.WithExplicitBucketBoundaries(DurationBoundaries...),
	); err != nil {
		otel.Handle(err)
		m.stepDuration, _ = none.Float64Histogram(StepDurationName)
	}
	if m.steps, err = meter.Int64Counter(StepsName,
		metric.WithUnit("{step}"),
		metric.WithDescription("Teardown steps, by client, field and how they ended."),
	); err != nil {
		otel.Handle(err)
		m.steps, _ = none.Int64Counter(StepsName)
	}
	if m.abandoned, err = meter.Int64ObservableGauge(AbandonedStepsName,
		metric.WithUnit("{step}"),
		metric.WithDescription("Teardown steps abandoned at their deadline and still running, as runtime.Abandoned lists them."),
	); err != nil {
		otel.Handle(err)
		return
	}
	if m.reg, err = meter.RegisterCallback(m.observeAbandoned, m.abandoned); err != nil {
		otel.Handle(err)
	}
}

// stop unregisters the gauge's callback.
func (m *metrics) stop() {
	if m.reg != nil {
		if err := m.reg.Unregister(); err != nil {
			otel.Handle(err)
		}
	}
}

// record records r's metrics, with ctx, which holds the close's span.
func (m *metrics) record(ctx context.Context, r runtime.Report) {
	client := ClientKey.String(r.Client)
	closeAttrs := []attribute.KeyValue{client}
	if r.Err != nil {
		closeAttrs = append(closeAttrs, ErrorTypeKey.String(closeErrorType(r)))
	}
	m.closeDuration.Record(ctx, r.End.Sub(r.Start).Seconds(), metric.WithAttributes(closeAttrs...))
	// A collection's elements share a few attribute sets: build each once
	// and add to the counter once per set.
	type setKey struct {
		field     string
		state     runtime.State
		errorType string
	}
	type point struct {
		set   metric.MeasurementOption
		count int64
	}
	points := make(map[setKey]*point)
	var order []setKey
	for _, s := range r.Steps {
		k := setKey{field: fieldOf(s), state: s.State}
		if failed(s.State) {
			k.errorType = errorType(s)
		}
		p := points[k]
		if p == nil {
			attrs := []attribute.KeyValue{client, FieldKey.String(k.field), StateKey.String(stateName(k.state))}
			if k.errorType != "" {
				attrs = append(attrs, ErrorTypeKey.String(k.errorType))
			}
			p = &point{set: metric.WithAttributeSet(attribute.NewSet(attrs...))}
			points[k] = p
			order = append(order, k)
		}
		p.count++
		if !s.Start.IsZero() {
			m.stepDuration.Record(ctx, s.End.Sub(s.Start).Seconds(), p.set)
		}
	}
	for _, k := range order {
		p := points[k]
		m.steps.Add(ctx, p.count, p.set)
	}
}

// observeAbandoned observes the steps runtime.Abandoned lists, by client
// and field.
func (m *metrics) observeAbandoned(_ context.Context, o metric.Observer) error {
	counts := make(map[gaugeKey]int64)
	for _, a := range runtime.Abandoned() {
		counts[gaugeKey{a.Client, fieldOfName(a.Step)}]++
	}
	m.mu.Lock()
	for k := range counts {
		m.seen[k] = struct{}{}
	}
	keys := make([]gaugeKey, 0, len(m.seen))
	for k := range m.seen {
		keys = append(keys, k)
	}
	m.mu.Unlock()
	for _, k := range keys {
		o.ObserveInt64(m.abandoned, counts[k], metric.WithAttributes(ClientKey.String(k.client), FieldKey.String(k.field)))
	}
	return nil
}
