package otelcleanup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// spans records r's spans and returns a context holding the close's span,
// for the metrics' exemplars.
func (o *observer) spans(r runtime.Report) context.Context {
	client := ClientKey.String(r.Client)
	attrs := []attribute.KeyValue{client, TeardownIDKey.Int64(int64(r.ID))}
	if !r.Deadline.IsZero() {
		attrs = append(attrs, DeadlineKey.String(r.Deadline.Format(time.RFC3339Nano)))
	}
	if r.Context != nil {
		// A close run by a step of another teardown, with the step's
		// context: that teardown's span does not exist yet (it ends
		// later), so its ID says where this one belongs.
		if id := runtime.TeardownID(r.Context); id != 0 && id != r.ID {
			attrs = append(attrs, ParentTeardownIDKey.Int64(int64(id)))
		}
	}
	if r.Err != nil {
		attrs = append(attrs, ErrorTypeKey.String(closeErrorType(r)))
	}
	ctx, span := o.tracer.Start(parent(r.Context), spanName(r.Client),
		trace.WithTimestamp(r.Start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...),
	)
	if r.Err != nil {
		span.RecordError(r.Err, trace.WithTimestamp(r.End))
		span.SetStatus(codes.Error, r.Err.Error())
	}
	for _, g := range groupSteps(r.Steps) {
		if g.collection {
			o.collectionSpan(ctx, span.SpanContext(), client, r, g)
		} else {
			o.stepSpan(ctx, span.SpanContext(), client, r, &r.Steps[g.steps[0]], g.field, false)
		}
	}
	span.End(trace.WithTimestamp(r.End))
	return ctx
}

// stepGroup is a field's steps: one step, or the elements of a collection,
// as indexes in the report's Steps.
type stepGroup struct {
	field      string
	collection bool
	steps      []int
}

// groupSteps groups steps by field, in the order of their first step.
func groupSteps(steps []runtime.StepReport) []*stepGroup {
	var groups []*stepGroup
	byField := make(map[string]*stepGroup)
	for i := range steps {
		s := &steps[i]
		field := fieldOf(*s)
		if !isElement(*s) {
			groups = append(groups, &stepGroup{field: field, steps: []int{i}})
			continue
		}
		g := byField[field]
		if g == nil {
			g = &stepGroup{field: field, collection: true}
			byField[field] = g
			groups = append(groups, g)
		}
		g.steps = append(g.steps, i)
	}
	return groups
}

// stepSpan records the span of one step, a child of the span in ctx: a
// field's, or, when element is true, an element's. closeSC is the close's
// span, for the span of the step's return if it was abandoned.
func (o *observer) stepSpan(ctx context.Context, closeSC trace.SpanContext, client attribute.KeyValue, r runtime.Report, s *runtime.StepReport, field string, element bool) {
	start, end := s.Start, s.End
	if start.IsZero() {
		start, end = r.End, r.End
	}
	attrs := []attribute.KeyValue{
		client,
		FieldKey.String(field),
		StepKey.String(s.Name),
		StateKey.String(stateName(s.State)),
		PhaseKey.Int(s.Phase),
		ForcedKey.Bool(s.Forced),
	}
	if element {
		attrs = append(attrs, ElementIndexKey.Int(s.Index))
	}
	if s.Budget > 0 {
		attrs = append(attrs, BudgetKey.Float64(s.Budget.Seconds()))
	}
	if failed(s.State) {
		attrs = append(attrs, ErrorTypeKey.String(errorType(*s)))
	}
	if len(s.Stack) > 0 {
		attrs = append(attrs, StackKey.StringSlice(s.Stack))
	}
	_, span := o.tracer.Start(ctx, field,
		trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...),
	)
	if failed(s.State) {
		if s.Err != nil {
			span.RecordError(s.Err, trace.WithTimestamp(end))
			span.SetStatus(codes.Error, s.Err.Error())
		} else {
			span.SetStatus(codes.Error, stateName(s.State))
		}
	}
	if s.State == runtime.StateAbandoned {
		o.mu.Lock()
		o.late[lateKey{s.Teardown, s.Name}] = lateSpans{
			close: closeSC,
			step:  span.SpanContext(),
			field: field,
		}
		o.mu.Unlock()
	}
	span.End(trace.WithTimestamp(end))
}

// collectionSpan records the span of a collection, with the counts of its
// elements by state, and a child span for each element that did not
// succeed.
func (o *observer) collectionSpan(ctx context.Context, closeSC trace.SpanContext, client attribute.KeyValue, r runtime.Report, g *stepGroup) {
	var start, end time.Time
	var counts [runtime.StateNotStarted + 1]int
	worst, forced, bad := runtime.StateOK, false, 0
	for _, i := range g.steps {
		s := &r.Steps[i]
		if int(s.State) < len(counts) {
			counts[s.State]++
		}
		if severity(s.State) > severity(worst) {
			worst = s.State
		}
		forced = forced || s.Forced
		if failed(s.State) {
			bad++
		}
		if s.Start.IsZero() {
			continue
		}
		if start.IsZero() || s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
	}
	if start.IsZero() {
		start, end = r.End, r.End
	}
	attrs := []attribute.KeyValue{
		client,
		FieldKey.String(g.field),
		StepKey.String(g.field),
		StateKey.String(stateName(worst)),
		PhaseKey.Int(r.Steps[g.steps[0]].Phase),
		ForcedKey.Bool(forced),
		ElementCountKey.Int(len(g.steps)),
	}
	for st, n := range counts {
		attrs = append(attrs, elementStateKey(runtime.State(st)).Int(n))
	}
	if failed(worst) {
		attrs = append(attrs, ErrorTypeKey.String(stateName(worst)))
	}
	cctx, span := o.tracer.Start(ctx, g.field,
		trace.WithTimestamp(start),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(attrs...),
	)
	if bad > 0 {
		span.SetStatus(codes.Error, fmt.Sprintf("%d of %d elements did not succeed", bad, len(g.steps)))
	}
	n := 0
	for _, i := range g.steps {
		if s := &r.Steps[i]; failed(s.State) {
			if n++; n > MaxElementSpans {
				break
			}
			o.stepSpan(cctx, closeSC, client, r, s, g.field, true)
		}
	}
	if n > MaxElementSpans {
		span.SetAttributes(ElementOmittedKey.Int(bad - MaxElementSpans))
	}
	span.End(trace.WithTimestamp(end))
}

// MaxElementSpans bounds the spans of a collection's elements that did not
// succeed: when a shared peer is down, every element fails, and a span
// each would be the 10,001 spans the collection span exists to avoid. The
// collection's span counts them all, and the elements beyond the first
// MaxElementSpans in cleanupgen.element.omitted_count.
const MaxElementSpans = 100

// elementStateKey is the key of the number of a collection's elements
// that ended in state s, such as cleanupgen.element.timed_out_count.
func elementStateKey(s runtime.State) attribute.Key {
	return attribute.Key("cleanupgen.element." + stateName(s) + "_count")
}

// returned records the span of an abandoned step that returned at last:
// a child of its close's span (a root when l does not know it), linked to
// the step's span, with the event ReturnedEvent.
func (o *observer) returned(client string, s runtime.StepReport, l lateSpans) {
	ctx := context.Background()
	if l.close.IsValid() {
		ctx = trace.ContextWithSpanContext(ctx, l.close)
	}
	opts := []trace.SpanStartOption{
		trace.WithTimestamp(s.End),
		trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(
			ClientKey.String(client),
			FieldKey.String(l.field),
			StepKey.String(s.Name),
			TeardownIDKey.Int64(int64(s.Teardown)),
		),
	}
	if l.step.IsValid() {
		opts = append(opts, trace.WithLinks(trace.Link{SpanContext: l.step}))
	}
	_, span := o.tracer.Start(ctx, l.field+" returned", opts...)
	event := []attribute.KeyValue{StateKey.String(stateName(s.State))}
	if !s.Start.IsZero() {
		event = append(event, attribute.Float64("cleanupgen.step.duration", s.End.Sub(s.Start).Seconds()))
	}
	if failed(s.State) {
		event = append(event, ErrorTypeKey.String(errorType(s)))
	}
	if s.Err != nil {
		event = append(event, attribute.String("exception.message", s.Err.Error()))
	}
	span.AddEvent(ReturnedEvent, trace.WithTimestamp(s.End), trace.WithAttributes(event...))
	span.End(trace.WithTimestamp(s.End))
}

// fieldOf returns the field s tears down. Before the runtime fills in
// StepReport.Field, an element's name, such as conns["a"], is cut at its
// bracket: a field's name is a Go identifier.
func fieldOf(s runtime.StepReport) string {
	if s.Field != "" {
		return s.Field
	}
	return fieldOfName(s.Name)
}

// fieldOfName returns the field of a step named name.
func fieldOfName(name string) string {
	if i := strings.IndexByte(name, '['); i > 0 {
		return name[:i]
	}
	return name
}

// isElement reports whether s is an element of a collection. Before the
// runtime fills in StepReport.Field, an element is a step whose name has
// a bracket.
func isElement(s runtime.StepReport) bool {
	if s.Field == "" {
		return strings.IndexByte(s.Name, '[') > 0
	}
	return s.Index >= 0 && s.Name != s.Field
}

// spanName returns the name of a close's span: the client.
func spanName(client string) string {
	if client == "" {
		return "cleanup"
	}
	return client
}

// stateName returns s's name without spaces: ok, failed, panicked,
// timed_out, forced, abandoned, not_started.
func stateName(s runtime.State) string {
	switch s {
	case runtime.StateTimedOut:
		return "timed_out"
	case runtime.StateNotStarted:
		return "not_started"
	case runtime.StateOK, runtime.StateFailed, runtime.StatePanicked, runtime.StateForced, runtime.StateAbandoned:
		return s.String()
	}
	return "state_" + strconv.Itoa(int(s))
}

// failed reports whether a step that ended in state s did not succeed.
func failed(s runtime.State) bool {
	return s != runtime.StateOK && s != runtime.StateForced
}

// severity orders the states from best to worst, for the state of a
// collection and the error.type of a close.
func severity(s runtime.State) int {
	switch s {
	case runtime.StateOK:
		return 0
	case runtime.StateForced:
		return 1
	case runtime.StateFailed:
		return 2
	case runtime.StatePanicked:
		return 3
	case runtime.StateTimedOut:
		return 4
	case runtime.StateNotStarted:
		return 5
	case runtime.StateAbandoned:
		return 6
	}
	return 7
}

// errorType returns the error.type of a step that did not succeed: the Go
// type of a failed step's error, looking through fmt's wrappers, and the
// state of any other.
func errorType(s runtime.StepReport) string {
	if s.State != runtime.StateFailed {
		return stateName(s.State)
	}
	err := s.Err
	for err != nil {
		t := fmt.Sprintf("%T", err)
		if t != "*fmt.wrapError" && t != "*fmt.wrapErrors" {
			return t
		}
		var next error
		if u, ok := err.(interface{ Unwrap() []error }); ok {
			if errs := u.Unwrap(); len(errs) > 0 {
				next = errs[0]
			}
		} else {
			next = errors.Unwrap(err)
		}
		if next == nil {
			return t
		}
		err = next
	}
	return "_OTHER"
}

// closeErrorType returns the error.type of a close that did not succeed:
// the worst state among its steps, or the Go type of its error when no
// step failed.
func closeErrorType(r runtime.Report) string {
	worst := runtime.StateOK
	for _, s := range r.Steps {
		if severity(s.State) > severity(worst) {
			worst = s.State
		}
	}
	if failed(worst) {
		return stateName(worst)
	}
	return fmt.Sprintf("%T", r.Err)
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
