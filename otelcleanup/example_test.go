package otelcleanup_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/cleanupgen/cleanupgen/otelcleanup"
	"github.com/cleanupgen/cleanupgen/runtime"
)

// Install once, at start-up, once the providers are set up: every close
// from then on yields a span with a child per field, and metrics. Here the
// providers record in memory (a SpanRecorder, a ManualReader) where a
// program would give them exporters.
func ExampleInstall() {
	spans := tracetest.NewSpanRecorder()
	reader := sdkmetric.NewManualReader()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())

	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp), otelcleanup.WithMeterProvider(mp))

	// A close under a request's span: its span is a child of the request's.
	ctx, span := tp.Tracer("server").Start(context.Background(), "shutdown")
	m := runtime.NewManager(ctx, 5*time.Second, runtime.WithName("server"))
	m.Go("db", func(context.Context) error { return nil })
	m.Go("cache", func(context.Context) error { return errors.New("connection reset") })
	_ = m.Wait()

	// Uninstalling delivers what is pending first: no span is lost,
	// although the runtime reports a close after its caller returned.
	uninstall()
	span.End()

	for _, s := range spans.Ended() {
		line := s.Name()
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case otelcleanup.StateKey, otelcleanup.ErrorTypeKey:
				line += " " + string(kv.Key) + "=" + kv.Value.Emit()
			}
		}
		if s.Status().Code == codes.Error {
			line += " (Error)"
		}
		fmt.Println(line)
	}

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(context.Background(), &rm)
	var names []string
	for _, x := range rm.ScopeMetrics[0].Metrics {
		names = append(names, x.Name)
	}
	slices.Sort(names)
	fmt.Println(rm.ScopeMetrics[0].Scope.Name == otelcleanup.ScopeName, names)
	// Output:
	// db cleanupgen.state=ok
	// cache cleanupgen.state=failed error.type=*errors.errorString (Error)
	// server error.type=failed (Error)
	// shutdown
	// true [cleanupgen.close.duration cleanupgen.step.duration cleanupgen.steps]
}
