package otelcleanup_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/otelcleanup"
	"github.com/cleanupgen/cleanupgen/runtime"
)

func TestMain(m *testing.M) {
	// The runtime's warnings about the steps these tests make fail.
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	goleak.VerifyTestMain(m)
}

// waiter is an observer installed after otelcleanup's: the runtime calls
// the observers of an event in order, so when waiter hears of a report,
// otelcleanup has recorded it.
type waiter struct {
	ended    chan runtime.Report
	returned chan runtime.StepReport
}

func newWaiter(t *testing.T) *waiter {
	w := &waiter{ended: make(chan runtime.Report, 16), returned: make(chan runtime.StepReport, 16)}
	t.Cleanup(runtime.AddObserver(w))
	return w
}

func (w *waiter) Ended(r runtime.Report)                  { w.ended <- r }
func (w *waiter) Returned(_ string, s runtime.StepReport) { w.returned <- s }

func (w *waiter) nextReport(t *testing.T) runtime.Report {
	t.Helper()
	select {
	case r := <-w.ended:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no report delivered within 10s")
		return runtime.Report{}
	}
}

func (w *waiter) nextReturned(t *testing.T) runtime.StepReport {
	t.Helper()
	select {
	case s := <-w.returned:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no returned step delivered within 10s")
		return runtime.StepReport{}
	}
}

// env is otelcleanup installed on an SDK that records spans and metrics.
type env struct {
	tp     *sdktrace.TracerProvider
	spans  *tracetest.SpanRecorder
	reader *sdkmetric.ManualReader
	wait   *waiter
}

func install(t *testing.T, opts ...otelcleanup.Option) *env {
	e := &env{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	t.Cleanup(func() {
		assert.NoError(t, e.tp.Shutdown(context.Background()))
		assert.NoError(t, mp.Shutdown(context.Background()))
	})
	opts = append([]otelcleanup.Option{otelcleanup.WithTracerProvider(e.tp), otelcleanup.WithMeterProvider(mp)}, opts...)
	t.Cleanup(otelcleanup.Install(opts...))
	e.wait = newWaiter(t)
	return e
}

// spansByName returns the ended spans of the trace of the span named
// root, by name; spans of one name are in the order they ended.
func (e *env) spansByName() map[string][]sdktrace.ReadOnlySpan {
	m := make(map[string][]sdktrace.ReadOnlySpan)
	for _, s := range e.spans.Ended() {
		m[s.Name()] = append(m[s.Name()], s)
	}
	return m
}

// one returns the only span named name.
func one(t *testing.T, spans map[string][]sdktrace.ReadOnlySpan, name string) sdktrace.ReadOnlySpan {
	t.Helper()
	require.Len(t, spans[name], 1, "spans named %q", name)
	return spans[name][0]
}

// collect collects the metrics and returns them by name, checking the
// instrumentation scope.
func (e *env) collect(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	m := make(map[string]metricdata.Aggregation)
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelcleanup.ScopeName, sm.Scope.Name)
		assert.Equal(t, otelcleanup.Version(), sm.Scope.Version)
		for _, x := range sm.Metrics {
			m[x.Name] = x.Data
		}
	}
	return m
}

// key joins the values of a set of attributes, in the order of their
// keys, as "key=value key=value".
func key(set attribute.Set) string {
	var parts []string
	for _, kv := range set.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, " ")
}

// sums returns the data points of an int64 sum or gauge by key.
func sums(t *testing.T, a metricdata.Aggregation) map[string]int64 {
	t.Helper()
	m := make(map[string]int64)
	switch a := a.(type) {
	case metricdata.Sum[int64]:
		for _, dp := range a.DataPoints {
			m[key(dp.Attributes)] = dp.Value
		}
	case metricdata.Gauge[int64]:
		for _, dp := range a.DataPoints {
			m[key(dp.Attributes)] = dp.Value
		}
	default:
		t.Fatalf("%T is not an int64 sum or gauge", a)
	}
	return m
}

// histogram returns the data points of a float64 histogram by key.
func histogram(t *testing.T, a metricdata.Aggregation) map[string]metricdata.HistogramDataPoint[float64] {
	t.Helper()
	h, ok := a.(metricdata.Histogram[float64])
	require.True(t, ok, "%T is not a float64 histogram", a)
	m := make(map[string]metricdata.HistogramDataPoint[float64])
	for _, dp := range h.DataPoints {
		m[key(dp.Attributes)] = dp
	}
	return m
}

func attrs(kvs ...attribute.KeyValue) map[attribute.Key]string {
	m := make(map[attribute.Key]string)
	for _, kv := range kvs {
		m[kv.Key] = kv.Value.Emit()
	}
	return m
}

// shop is a client closed through a runtime.Plan whose refs type is
// written by hand, with a step in each of the states a span can show:
//
//   - phase 0: index, whose Shutdown ignores its 20ms budget and whose
//     force method stops it (forced);
//   - phase 1: conns, a collection of three: conns[0] closes (ok),
//     conns[1] fails with a wrapped *fs.PathError (failed), conns[2]
//     hangs until release (abandoned);
//   - phase 2: db, which never gets to start (not_started).
type shop struct {
	guard   runtime.Guard
	kill    chan struct{}
	release chan struct{}
}

type shopRefs struct{ kill, release chan struct{} }

func (r *shopRefs) Take(x *shop) { r.kill, r.release = x.kill, x.release }
func (r *shopRefs) Drop(x *shop) { x.kill, x.release = nil, nil }
func (r *shopRefs) Len(step int) int {
	if step == 1 {
		return 3
	}
	return 0
}
func (r *shopRefs) Name(step, elem int) string { return fmt.Sprintf("conns[%d]", elem) }
func (r *shopRefs) Close(ctx context.Context, step, elem int, force bool) error {
	switch {
	case step == 0 && force:
		close(r.kill)
	case step == 0:
		<-r.kill
	case step == 1 && elem == 1:
		return fmt.Errorf("conns[1]: %w", &fs.PathError{Op: "close", Path: "/tmp/sock", Err: errors.New("broken pipe")})
	case step == 1 && elem == 2:
		<-r.release
	}
	return nil
}

var shopPlan = runtime.Plan[shop, shopRefs]{
	Type:    "test.shop",
	Timeout: 300 * time.Millisecond,
	Steps: []runtime.Step{
		{Name: "index", Phase: 0, Timeout: 20 * time.Millisecond, Force: true},
		{Name: "conns", Phase: 1, Each: true},
		{Name: "db", Phase: 2},
	},
}

// closeShop closes a shop under a request's span and returns the request's
// span, the close's report and a func that releases conns[2].
func closeShop(t *testing.T, e *env) (request sdktrace.ReadOnlySpan, r runtime.Report, release func()) {
	t.Helper()
	ctx, span := e.tp.Tracer("test").Start(context.Background(), "request")
	c := &shop{kill: make(chan struct{}), release: make(chan struct{})}
	ch := c.release
	require.Error(t, shopPlan.Close(ctx, &c.guard, c))
	span.End()
	r = e.wait.nextReport(t)
	return span.(sdktrace.ReadOnlySpan), r, func() { close(ch) }
}

// TestSpans: one span for the close, a child of the request's, named after
// the client type; a span per field named after the field; the collection
// one span with counts by state, and a child span only for each element
// that did not succeed, the element in an attribute.
func TestSpans(t *testing.T) {
	e := install(t)
	request, r, release := closeShop(t, e)
	defer func() { release(); e.wait.nextReturned(t) }()

	spans := e.spansByName()
	assert.Len(t, spans, 5, "request, test.shop, index, conns, db: %v", spans)
	closeSpan := one(t, spans, "test.shop")
	assert.Equal(t, request.SpanContext().SpanID(), closeSpan.Parent().SpanID(), "the close is a child of the request")
	assert.Equal(t, r.Start, closeSpan.StartTime())
	assert.Equal(t, r.End, closeSpan.EndTime())
	assert.Equal(t, codes.Error, closeSpan.Status().Code)
	assert.Equal(t, map[attribute.Key]string{
		"cleanupgen.client":      "test.shop",
		"cleanupgen.teardown.id": fmt.Sprint(r.ID),
		"cleanupgen.deadline":    r.Deadline.Format(time.RFC3339Nano),
		"error.type":             "abandoned",
	}, attrs(closeSpan.Attributes()...))

	index := one(t, spans, "index")
	assert.Equal(t, closeSpan.SpanContext().SpanID(), index.Parent().SpanID())
	assert.Equal(t, codes.Unset, index.Status().Code, "a forced step succeeded")
	assert.Equal(t, map[attribute.Key]string{
		"cleanupgen.client": "test.shop",
		"cleanupgen.field":  "index",
		"cleanupgen.step":   "index",
		"cleanupgen.state":  "forced",
		"cleanupgen.phase":  "0",
		"cleanupgen.budget": "0.02",
		"cleanupgen.forced": "true",
	}, attrs(index.Attributes()...))
	assert.Equal(t, r.Steps[0].Start, index.StartTime())
	assert.Equal(t, r.Steps[0].End, index.EndTime())

	require.Len(t, spans["conns"], 3, "the collection and its two elements that did not succeed")
	var coll sdktrace.ReadOnlySpan
	var elems []sdktrace.ReadOnlySpan
	for _, s := range spans["conns"] {
		if s.Parent().SpanID() == closeSpan.SpanContext().SpanID() {
			coll = s
		} else {
			elems = append(elems, s)
		}
	}
	require.NotNil(t, coll)
	assert.Equal(t, codes.Error, coll.Status().Code)
	assert.Equal(t, "2 of 3 elements did not succeed", coll.Status().Description)
	ca := attrs(coll.Attributes()...)
	for k, v := range map[attribute.Key]string{
		"cleanupgen.field":                     "conns",
		"cleanupgen.state":                     "abandoned",
		"cleanupgen.phase":                     "1",
		"cleanupgen.element.count":             "3",
		"cleanupgen.element.ok_count":          "1",
		"cleanupgen.element.failed_count":      "1",
		"cleanupgen.element.abandoned_count":   "1",
		"cleanupgen.element.timed_out_count":   "0",
		"cleanupgen.element.not_started_count": "0",
		"error.type":                           "abandoned",
	} {
		assert.Equal(t, v, ca[k], k)
	}
	require.Len(t, elems, 2)
	byStep := make(map[string]map[attribute.Key]string)
	for _, s := range elems {
		assert.Equal(t, coll.SpanContext().SpanID(), s.Parent().SpanID(), "an element is a child of its collection")
		assert.Equal(t, codes.Error, s.Status().Code)
		a := attrs(s.Attributes()...)
		byStep[a["cleanupgen.step"]] = a
	}
	require.Contains(t, byStep, "conns[1]")
	require.Contains(t, byStep, "conns[2]")
	assert.Equal(t, "failed", byStep["conns[1]"]["cleanupgen.state"])
	assert.Equal(t, "1", byStep["conns[1]"]["cleanupgen.index"])
	assert.Equal(t, "*fs.PathError", byStep["conns[1]"]["error.type"], "fmt's wrapper is looked through")
	assert.Equal(t, "abandoned", byStep["conns[2]"]["cleanupgen.state"])
	assert.Equal(t, "2", byStep["conns[2]"]["cleanupgen.index"])
	assert.Equal(t, "abandoned", byStep["conns[2]"]["error.type"])
	for _, s := range r.Steps {
		if s.Name == "conns[2]" && len(s.Stack) > 0 {
			assert.Equal(t, attribute.StringSliceValue(s.Stack).Emit(), byStep["conns[2]"]["cleanupgen.stack"], "where it was stuck")
		}
	}

	db := one(t, spans, "db")
	assert.Equal(t, "not_started", attrs(db.Attributes()...)["cleanupgen.state"])
	assert.Equal(t, r.End, db.StartTime(), "a step not started is a span of no length at the close's end")
	assert.Equal(t, r.End, db.EndTime())
	assert.Equal(t, codes.Error, db.Status().Code)
}

// TestCollectionSpansBounded: a collection of 1,000 elements that all
// close is one span.
func TestCollectionSpansBounded(t *testing.T) {
	e := install(t)
	m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("test.pool"))
	m.Go("cache", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	e.wait.nextReport(t)
	c := &bigClient{}
	require.NoError(t, bigPlan.Close(context.Background(), &c.guard, c))
	e.wait.nextReport(t)
	spans := e.spansByName()
	assert.Len(t, spans["conns"], 1)
	assert.Equal(t, "1000", attrs(one(t, spans, "conns").Attributes()...)["cleanupgen.element.ok_count"])
	assert.Len(t, e.spans.Ended(), 4, "test.pool, cache, test.big, conns")
}

// TestCollectionSpansFailing: a collection whose 1,000 elements all fail
// has MaxElementSpans element spans, and counts the others.
func TestCollectionSpansFailing(t *testing.T) {
	e := install(t)
	c := &bigClient{fail: true}
	require.Error(t, bigPlan.Close(context.Background(), &c.guard, c))
	e.wait.nextReport(t)
	spans := e.spansByName()
	assert.Len(t, spans["conns"], 1+otelcleanup.MaxElementSpans)
	var coll sdktrace.ReadOnlySpan
	for _, s := range spans["conns"] {
		if _, ok := attrs(s.Attributes()...)["cleanupgen.element.count"]; ok {
			coll = s
		}
	}
	require.NotNil(t, coll)
	a := attrs(coll.Attributes()...)
	assert.Equal(t, "1000", a["cleanupgen.element.failed_count"])
	assert.Equal(t, fmt.Sprint(1000-otelcleanup.MaxElementSpans), a["cleanupgen.element.omitted_count"])
}

type bigClient struct {
	guard runtime.Guard
	fail  bool
}
type bigRefs struct{ fail bool }

func (r *bigRefs) Take(x *bigClient)     { r.fail = x.fail }
func (*bigRefs) Drop(*bigClient)         {}
func (*bigRefs) Len(int) int             { return 1000 }
func (*bigRefs) Name(_, elem int) string { return fmt.Sprintf("conns[%d]", elem) }
func (r *bigRefs) Close(context.Context, int, int, bool) error {
	if r.fail {
		return errors.New("connection refused")
	}
	return nil
}

var bigPlan = runtime.Plan[bigClient, bigRefs]{
	Type:    "test.big",
	Timeout: 10 * time.Second,
	Steps:   []runtime.Step{{Name: "conns", Each: true}},
}

// TestNestedClose: a close run by a step, with the step's context, names
// the teardown that ran it.
func TestNestedClose(t *testing.T) {
	e := install(t)
	outer := runtime.NewManager(context.Background(), time.Second, runtime.WithName("test.parent"))
	outer.Go("child", func(ctx context.Context) error {
		inner := runtime.NewManager(ctx, time.Second, runtime.WithName("test.child"))
		inner.Go("db", func(context.Context) error { return nil })
		return inner.Wait()
	})
	require.NoError(t, outer.Wait())
	child, parent := e.wait.nextReport(t), e.wait.nextReport(t)
	require.Equal(t, "test.child", child.Client)
	spans := e.spansByName()
	assert.Equal(t, fmt.Sprint(parent.ID), attrs(one(t, spans, "test.child").Attributes()...)["cleanupgen.teardown.parent_id"])
	assert.NotContains(t, attrs(one(t, spans, "test.parent").Attributes()...), attribute.Key("cleanupgen.teardown.parent_id"))
}

// TestReturnedEvent: an abandoned step that returns at last is a span
// event, on a span that is a child of its close's and linked to the
// step's.
func TestReturnedEvent(t *testing.T) {
	e := install(t)
	_, r, release := closeShop(t, e)
	closeSpan := one(t, e.spansByName(), "test.shop")
	var stuck sdktrace.ReadOnlySpan
	for _, s := range e.spansByName()["conns"] {
		if attrs(s.Attributes()...)["cleanupgen.step"] == "conns[2]" {
			stuck = s
		}
	}
	require.NotNil(t, stuck)

	release()
	s := e.wait.nextReturned(t)
	assert.Equal(t, r.ID, s.Teardown)
	ret := one(t, e.spansByName(), "conns returned")
	assert.Equal(t, closeSpan.SpanContext().TraceID(), ret.SpanContext().TraceID())
	assert.Equal(t, closeSpan.SpanContext().SpanID(), ret.Parent().SpanID())
	require.Len(t, ret.Links(), 1)
	assert.Equal(t, stuck.SpanContext(), ret.Links()[0].SpanContext)
	require.Len(t, ret.Events(), 1)
	ev := ret.Events()[0]
	assert.Equal(t, otelcleanup.ReturnedEvent, ev.Name)
	assert.Equal(t, s.End, ev.Time)
	assert.Equal(t, "ok", attrs(ev.Attributes...)["cleanupgen.state"])
	assert.Equal(t, "conns[2]", attrs(ret.Attributes()...)["cleanupgen.step"])
}

// TestMetrics: the close duration has explicit boundaries from
// milliseconds to minutes and carries error.type; the steps carry client,
// field, state and error.type; points carry the close span's context as
// exemplars.
func TestMetrics(t *testing.T) {
	e := install(t)
	_, r, release := closeShop(t, e)
	defer func() { release(); e.wait.nextReturned(t) }()
	closeSpan := one(t, e.spansByName(), "test.shop")

	metrics := e.collect(t)
	closes := histogram(t, metrics["cleanupgen.close.duration"])
	require.Contains(t, closes, "cleanupgen.client=test.shop error.type=abandoned")
	dp := closes["cleanupgen.client=test.shop error.type=abandoned"]
	assert.Equal(t, otelcleanup.DurationBoundaries, dp.Bounds)
	assert.Equal(t, 0.001, dp.Bounds[0], "from a millisecond")
	assert.Equal(t, 600.0, dp.Bounds[len(dp.Bounds)-1], "to ten minutes")
	assert.Equal(t, uint64(1), dp.Count)
	assert.InDelta(t, r.End.Sub(r.Start).Seconds(), dp.Sum, 1e-9)
	require.NotEmpty(t, dp.Exemplars, "the point links to the close's trace")
	assert.Equal(t, closeSpan.SpanContext().TraceID(), trace.TraceID(dp.Exemplars[0].TraceID))
	assert.Equal(t, closeSpan.SpanContext().SpanID(), trace.SpanID(dp.Exemplars[0].SpanID))

	const c = "cleanupgen.client=test.shop "
	assert.Equal(t, map[string]int64{
		c + "cleanupgen.field=index cleanupgen.state=forced":                          1,
		c + "cleanupgen.field=conns cleanupgen.state=ok":                              1,
		c + "cleanupgen.field=conns cleanupgen.state=failed error.type=*fs.PathError": 1,
		c + "cleanupgen.field=conns cleanupgen.state=abandoned error.type=abandoned":  1,
		c + "cleanupgen.field=db cleanupgen.state=not_started error.type=not_started": 1,
	}, sums(t, metrics["cleanupgen.steps"]))
	steps := histogram(t, metrics["cleanupgen.step.duration"])
	assert.Len(t, steps, 4, "every step that started: %v", steps)
}

// TestAbandonedGauge: the gauge reads runtime.Abandoned: it counts a step
// abandoned before Install, and reads 0, never -1, once it has returned.
func TestAbandonedGauge(t *testing.T) {
	release := make(chan struct{})
	w := newWaiter(t)
	m := runtime.NewManager(context.Background(), 10*time.Millisecond, runtime.WithName("test.early"))
	m.Go("stuck", func(context.Context) error { <-release; return nil })
	require.Error(t, m.Wait())
	w.nextReport(t)

	e := install(t)
	assert.Equal(t, map[string]int64{"cleanupgen.client=test.early cleanupgen.field=stuck": 1},
		sums(t, e.collect(t)["cleanupgen.step.abandoned.count"]))
	close(release)
	e.wait.nextReturned(t)
	assert.Equal(t, map[string]int64{"cleanupgen.client=test.early cleanupgen.field=stuck": 0},
		sums(t, e.collect(t)["cleanupgen.step.abandoned.count"]))
}

// slowObserver delays every report, as a busy delivery does.
type slowObserver struct{ d time.Duration }

func (o slowObserver) Ended(runtime.Report)                { time.Sleep(o.d) }
func (o slowObserver) Returned(string, runtime.StepReport) {}

// TestUninstallDelivers: the pattern of ExampleInstall (uninstall, then
// shut the provider down) keeps the span of a close that returned just
// before, even when delivery is late.
func TestUninstallDelivers(t *testing.T) {
	t.Cleanup(runtime.AddObserver(slowObserver{100 * time.Millisecond}))
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp))

	m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("test.last"))
	m.Go("db", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	uninstall()
	require.NoError(t, tp.Shutdown(context.Background()))
	var names []string
	for _, s := range spans.Ended() {
		names = append(names, s.Name())
	}
	assert.Equal(t, []string{"db", "test.last"}, names)
}

// TestUninstallForceFlushes: uninstall asks the providers to export what
// they hold: a batching exporter has the close's spans without waiting
// for its batch timeout or a Shutdown.
func TestUninstallForceFlushes(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(time.Hour)))
	t.Cleanup(func() { assert.NoError(t, tp.Shutdown(context.Background())) })
	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp))
	m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("test.batched"))
	m.Go("db", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	uninstall()
	assert.Len(t, exp.GetSpans(), 2, "test.batched and db")
}

// TestUninstallBounded: uninstall waits for delivery for its flush
// timeout, no longer.
func TestUninstallBounded(t *testing.T) {
	block := make(chan struct{})
	t.Cleanup(runtime.AddObserver(blockingObserver(block)))
	defer close(block)
	uninstall := otelcleanup.Install(otelcleanup.WithFlushTimeout(50 * time.Millisecond))
	m := runtime.NewManager(context.Background(), time.Second, runtime.WithName("test.blocked"))
	m.Go("db", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	start := time.Now()
	uninstall()
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, 50*time.Millisecond)
	assert.Less(t, took, 5*time.Second, "bounded by the flush timeout (slack for a loaded machine)")
	uninstall() // harmless
}

type blockingObserver chan struct{}

func (o blockingObserver) Ended(runtime.Report)                { <-o }
func (o blockingObserver) Returned(string, runtime.StepReport) {}

// TestUninstall: once uninstalled, teardowns yield nothing.
func TestUninstall(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { assert.NoError(t, tp.Shutdown(context.Background())) })
	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp))
	uninstall()
	uninstall()
	w := newWaiter(t)

	m := runtime.NewManager(context.Background(), time.Second)
	m.Go("ok", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	w.nextReport(t)
	assert.Empty(t, spans.Ended())
}

// TestNaming: the semantic conventions' naming rules: names in the
// cleanupgen namespace (or the conventions' own), no plural namespace, no
// space in an attribute value, the scope with its version.
func TestNaming(t *testing.T) {
	e := install(t)
	_, _, release := closeShop(t, e)
	defer func() { release(); e.wait.nextReturned(t) }()

	name := regexp.MustCompile(`^cleanupgen(\.[a-z][a-z0-9_]*)+$`)
	semconv := map[string]bool{"error.type": true}
	check := func(what string, kvs []attribute.KeyValue) {
		for _, kv := range kvs {
			k := string(kv.Key)
			assert.True(t, name.MatchString(k) || semconv[k], "%s: attribute %s", what, k)
			if kv.Key != otelcleanup.StackKey {
				assert.NotContains(t, kv.Value.Emit(), " ", "%s: attribute %s", what, k)
			}
			assert.NotContains(t, k, "cleanupgen.steps.", "%s: a plural namespace", what)
		}
	}
	for _, s := range e.spans.Ended() {
		if s.Name() == "request" {
			continue
		}
		assert.Equal(t, otelcleanup.ScopeName, s.InstrumentationScope().Name)
		assert.Equal(t, otelcleanup.Version(), s.InstrumentationScope().Version)
		check("span "+s.Name(), s.Attributes())
	}
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	require.Len(t, rm.ScopeMetrics, 1)
	assert.Equal(t, otelcleanup.ScopeName, rm.ScopeMetrics[0].Scope.Name)
	assert.Equal(t, otelcleanup.Version(), rm.ScopeMetrics[0].Scope.Version)
	assert.Regexp(t, `^\d+\.\d+\.\d+`, otelcleanup.Version())
	for _, x := range rm.ScopeMetrics[0].Metrics {
		assert.Regexp(t, name, x.Name)
		for _, seg := range strings.Split(x.Name, ".")[1 : len(strings.Split(x.Name, "."))-1] {
			assert.False(t, strings.HasSuffix(seg, "s"), "%s: plural namespace %q", x.Name, seg)
		}
		switch d := x.Data.(type) {
		case metricdata.Sum[int64]:
			for _, dp := range d.DataPoints {
				check(x.Name, dp.Attributes.ToSlice())
			}
		case metricdata.Histogram[float64]:
			for _, dp := range d.DataPoints {
				check(x.Name, dp.Attributes.ToSlice())
			}
		}
	}
}

// TestGoModRequiresRelease: go.mod requires a released version of the main
// module, the one this module is released with, never v0.0.0 (which a
// consumer cannot fetch), and replaces it with the work tree for work in
// the repository.
func TestGoModRequiresRelease(t *testing.T) {
	b, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	mod := string(b)
	req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/cleanupgen/cleanupgen (v\S+)`).FindStringSubmatch(mod)
	require.NotNil(t, req, "go.mod requires the main module")
	assert.NotEqual(t, "v0.0.0", req[1])
	assert.Regexp(t, `^v\d+\.\d+\.\d+$`, req[1])
	assert.Equal(t, "v"+otelcleanup.Version(), req[1], "Version is bumped with the requirement (RELEASING.md)")
	assert.Regexp(t, `(?m)^replace github\.com/cleanupgen/cleanupgen => \.\./?$`, mod)
}

// The options are OpenTelemetry-Go's style: values of an interface.
var _ = []otelcleanup.Option{
	otelcleanup.WithTracerProvider(nil),
	otelcleanup.WithMeterProvider(nil),
	otelcleanup.WithFlushTimeout(0),
}
