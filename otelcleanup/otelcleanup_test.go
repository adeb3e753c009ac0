package otelcleanup_test

import (
	"context"
	"errors"
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
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/otelcleanup"
	"github.com/cleanupgen/cleanupgen/runtime"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waiter is an observer installed after otelcleanup's: the runtime calls
// the observers of an event in order, so when waiter hears of a report,
// otelcleanup has recorded it.
type waiter struct {
	ended    chan runtime.Report
	returned chan runtime.StepReport
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

func install(t *testing.T) *env {
	e := &env{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	e.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader))
	t.Cleanup(func() {
		assert.NoError(t, e.tp.Shutdown(context.Background()))
		assert.NoError(t, mp.Shutdown(context.Background()))
	})
	t.Cleanup(otelcleanup.Install(otelcleanup.WithTracerProvider(e.tp), otelcleanup.WithMeterProvider(mp)))
	e.wait = &waiter{ended: make(chan runtime.Report, 16), returned: make(chan runtime.StepReport, 16)}
	t.Cleanup(runtime.AddObserver(e.wait))
	return e
}

// spansByName returns the ended spans, by name.
func (e *env) spansByName() map[string]sdktrace.ReadOnlySpan {
	m := make(map[string]sdktrace.ReadOnlySpan)
	for _, s := range e.spans.Ended() {
		m[s.Name()] = s
	}
	return m
}

// metrics collects the metrics and returns them by name.
func (e *env) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, e.reader.Collect(context.Background(), &rm))
	m := make(map[string]metricdata.Aggregation)
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, otelcleanup.ScopeName, sm.Scope.Name)
		for _, x := range sm.Metrics {
			m[x.Name] = x.Data
		}
	}
	return m
}

// sums returns the data points of an int64 sum, as value by the values of
// their attributes joined with a space.
func sums(t *testing.T, a metricdata.Aggregation) map[string]int64 {
	t.Helper()
	s, ok := a.(metricdata.Sum[int64])
	require.True(t, ok, "%T is not an int64 sum", a)
	m := make(map[string]int64)
	for _, dp := range s.DataPoints {
		key := ""
		for _, kv := range dp.Attributes.ToSlice() {
			if key != "" {
				key += " "
			}
			key += kv.Value.Emit()
		}
		m[key] = dp.Value
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

// TestManagerClose: a close with an ok, a failed and an abandoned step,
// under a request's span, gives exactly four spans with the steps' own
// times, and the counts.
func TestManagerClose(t *testing.T) {
	e := install(t)
	ctx, request := e.tp.Tracer("test").Start(context.Background(), "request")
	release := make(chan struct{})
	m := runtime.NewManager(ctx, 50*time.Millisecond, runtime.WithName("test.Client"))
	m.Go("ok", func(context.Context) error { return nil })
	m.Go("failed", func(context.Context) error { return errors.New("disk full") })
	m.Go("stuck", func(context.Context) error { <-release; return nil })
	err := m.Wait()
	require.Error(t, err)
	request.End()
	r := e.wait.nextReport(t)
	require.Len(t, r.Steps, 3)

	spans := e.spansByName()
	require.Len(t, spans, 5, "the request, the close and three steps")
	closeSpan := spans["cleanup test.Client"]
	require.NotNil(t, closeSpan)
	assert.Equal(t, request.SpanContext().SpanID(), closeSpan.Parent().SpanID(), "the close is a child of the request")
	assert.Equal(t, r.Start, closeSpan.StartTime())
	assert.Equal(t, r.End, closeSpan.EndTime())
	assert.Equal(t, codes.Error, closeSpan.Status().Code)
	assert.Equal(t, map[attribute.Key]string{"cleanup.client": "test.Client"}, attrs(closeSpan.Attributes()...))

	for i, want := range []struct {
		name  string
		state string
		code  codes.Code
	}{{"ok", "ok", codes.Unset}, {"failed", "failed", codes.Error}, {"stuck", "abandoned", codes.Error}} {
		s := spans[want.name]
		require.NotNil(t, s, want.name)
		assert.Equal(t, closeSpan.SpanContext().SpanID(), s.Parent().SpanID(), "%s is a child of the close", want.name)
		assert.Equal(t, map[attribute.Key]string{
			"cleanup.client": "test.Client",
			"cleanup.step":   want.name,
			"cleanup.state":  want.state,
		}, attrs(s.Attributes()...))
		assert.Equal(t, want.code, s.Status().Code, want.name)
		assert.Equal(t, r.Steps[i].Start, s.StartTime(), "%s starts when the step started", want.name)
		assert.Equal(t, r.Steps[i].End, s.EndTime(), "%s ends when the step ended", want.name)
	}
	assert.Equal(t, "disk full", spans["failed"].Status().Description)

	metrics := e.metrics(t)
	require.Len(t, metrics, 3)
	h, ok := metrics["cleanup.close.duration"].(metricdata.Histogram[float64])
	require.True(t, ok)
	require.Len(t, h.DataPoints, 1)
	assert.Equal(t, uint64(1), h.DataPoints[0].Count)
	assert.InDelta(t, r.End.Sub(r.Start).Seconds(), h.DataPoints[0].Sum, 1e-9)
	assert.Equal(t, map[string]int64{
		"test.Client ok":        1,
		"test.Client failed":    1,
		"test.Client abandoned": 1,
	}, sums(t, metrics["cleanup.steps"]))
	assert.Equal(t, map[string]int64{"test.Client": 1}, sums(t, metrics["cleanup.steps.abandoned"]))

	close(release)
	assert.Equal(t, "stuck", e.wait.nextReturned(t).Name)
	assert.Equal(t, map[string]int64{"test.Client": 0}, sums(t, e.metrics(t)["cleanup.steps.abandoned"]),
		"an abandoned step that returns is no longer counted")
}

// planClient is a client closed through a runtime.Plan whose refs type is
// written by hand: a step in phase 0 that hangs, and one in phase 1 that
// never gets to start.
type planClient struct {
	guard   runtime.Guard
	release chan struct{}
}

type planRefs struct{ release chan struct{} }

func (r *planRefs) Take(x *planClient)         { r.release = x.release }
func (r *planRefs) Drop(x *planClient)         { x.release = nil }
func (r *planRefs) Len(int) int                { return 0 }
func (r *planRefs) Name(step, elem int) string { return "" }
func (r *planRefs) Close(ctx context.Context, step, elem int, force bool) error {
	if step == 0 {
		<-r.release
	}
	return nil
}

var plan = runtime.Plan[planClient, planRefs]{
	Type:    "test.planClient",
	Timeout: 50 * time.Millisecond,
	Steps:   []runtime.Step{{Name: "hung", Phase: 0}, {Name: "late", Phase: 1}},
}

// TestPlanNotStarted: a step that never started is a span of no length at
// the close's end; a close without a span in its context is a root span.
func TestPlanNotStarted(t *testing.T) {
	e := install(t)
	c := &planClient{release: make(chan struct{})}
	release := c.release
	require.Error(t, plan.Close(context.Background(), &c.guard, c))
	r := e.wait.nextReport(t)

	spans := e.spansByName()
	require.Len(t, spans, 3)
	closeSpan := spans["cleanup test.planClient"]
	require.NotNil(t, closeSpan)
	assert.False(t, closeSpan.Parent().IsValid(), "a close without a span in its context is a root")
	late := spans["late"]
	require.NotNil(t, late)
	assert.Equal(t, runtime.StateNotStarted.String(), attrs(late.Attributes()...)["cleanup.state"])
	assert.Equal(t, r.End, late.StartTime())
	assert.Equal(t, r.End, late.EndTime())
	assert.Equal(t, codes.Error, late.Status().Code)

	assert.Equal(t, map[string]int64{
		"test.planClient abandoned":                           1,
		"test.planClient " + runtime.StateNotStarted.String(): 1,
	}, sums(t, e.metrics(t)["cleanup.steps"]))

	close(release)
	e.wait.nextReturned(t)
}

// TestUninstall: once uninstalled, teardowns yield nothing.
func TestUninstall(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	t.Cleanup(func() { assert.NoError(t, tp.Shutdown(context.Background())) })
	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp))
	uninstall()
	uninstall()
	w := &waiter{ended: make(chan runtime.Report, 1), returned: make(chan runtime.StepReport, 1)}
	t.Cleanup(runtime.AddObserver(w))

	m := runtime.NewManager(context.Background(), time.Second)
	m.Go("ok", func(context.Context) error { return nil })
	require.NoError(t, m.Wait())
	w.nextReport(t)
	assert.Empty(t, spans.Ended())
}
