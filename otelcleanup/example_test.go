package otelcleanup_test

import (
	"context"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/cleanupgen/cleanupgen/otelcleanup"
	"github.com/cleanupgen/cleanupgen/runtime"
)

// Install once, at start-up, once the providers are set up: every close
// from then on yields a span with a child per step, and metrics.
func ExampleInstall() {
	tp := sdktrace.NewTracerProvider( /* exporters */ )
	mp := sdkmetric.NewMeterProvider( /* readers */ )
	defer tp.Shutdown(context.Background())
	defer mp.Shutdown(context.Background())

	uninstall := otelcleanup.Install(otelcleanup.WithTracerProvider(tp), otelcleanup.WithMeterProvider(mp))
	defer uninstall()

	// A close under a request's span: its span is a child of the request's.
	ctx, span := tp.Tracer("server").Start(context.Background(), "shutdown")
	defer span.End()
	m := runtime.NewManager(ctx, 5*time.Second, runtime.WithName("server"))
	m.Go("db", func(context.Context) error { return nil })
	_ = m.Wait()
}
