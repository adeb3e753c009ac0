package otelcleanup

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// newTestObserver returns an observer on an SDK that records spans, fed
// reports directly rather than through the runtime.
func newTestObserver(tb testing.TB) (*observer, *tracetest.SpanRecorder) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tb.Cleanup(func() {
		_ = tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	o := newObserver(config{tp: tp, mp: mp})
	tb.Cleanup(o.stop)
	return o, spans
}

// TestStackAttribute: an abandoned step's span carries where it was stuck,
// innermost frame first.
func TestStackAttribute(t *testing.T) {
	o, spans := newTestObserver(t)
	start := time.Now()
	stack := []string{"net.(*conn).Read", "vision.(*session).End"}
	o.Ended(runtime.Report{
		ID: 7, Client: "test.stuck", Start: start, End: start.Add(time.Second), Deadline: start.Add(time.Second),
		Err: errors.New("cleanup test.stuck: 1 step did not succeed"),
		Steps: []runtime.StepReport{{
			Teardown: 7, Name: "session", Field: "session", Index: -1, State: runtime.StateAbandoned,
			Start: start, End: start.Add(time.Second), Err: context.DeadlineExceeded, Stack: stack,
		}},
	})
	var session sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "session" {
			session = s
		}
	}
	require.NotNil(t, session)
	var got []string
	for _, kv := range session.Attributes() {
		if kv.Key == StackKey {
			got = kv.Value.AsStringSlice()
		}
	}
	assert.Equal(t, stack, got)
	assert.Contains(t, session.Attributes(), attribute.String("error.type", "abandoned"))
}

// collectionReport is a report of one collection of n elements, failed
// of which failed.
func collectionReport(n, failed int) runtime.Report {
	start := time.Now()
	r := runtime.Report{ID: 1, Client: "bench.pool", Start: start, End: start.Add(time.Millisecond), Deadline: start.Add(time.Second)}
	for i := range n {
		s := runtime.StepReport{
			Teardown: 1, Name: fmt.Sprintf("conns[%d]", i), Field: "conns", Index: i,
			State: runtime.StateOK, Start: start, End: start.Add(time.Millisecond),
		}
		if i < failed {
			s.State, s.Err = runtime.StateFailed, errors.New("connection refused")
		}
		r.Steps = append(r.Steps, s)
	}
	if failed > 0 {
		r.Err = errors.New("cleanup bench.pool: failed")
	}
	return r
}

// BenchmarkEnded is the cost of recording a teardown of a 10,000-element
// collection, on the delivery goroutine: spans are bounded (one, or one
// and MaxElementSpans), metric points are one per element.
func BenchmarkEnded(b *testing.B) {
	for _, failed := range []int{0, 10_000} {
		b.Run(fmt.Sprintf("failed=%d", failed), func(b *testing.B) {
			o, _ := newTestObserver(b)
			r := collectionReport(10_000, failed)
			b.ReportAllocs()
			for b.Loop() {
				o.Ended(r)
			}
		})
	}
}
