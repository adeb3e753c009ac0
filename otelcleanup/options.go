package otelcleanup

import (
	"time"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// An Option configures [Install]. Options are made by the With functions
// of this package.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is what the options set.
type config struct {
	tp    trace.TracerProvider
	mp    metric.MeterProvider
	flush time.Duration
}

// DefaultFlushTimeout bounds how long the function that [Install] returns
// waits for the teardowns' pending reports, unless [WithFlushTimeout]
// says otherwise.
const DefaultFlushTimeout = time.Second

// WithTracerProvider makes Install create spans with tp rather than the
// global TracerProvider (otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return optionFunc(func(c *config) { c.tp = tp })
}

// WithMeterProvider makes Install record metrics with mp rather than the
// global MeterProvider (otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.mp = mp })
}

// WithFlushTimeout bounds how long uninstalling waits for what is pending
// (see [Install]): d, instead of [DefaultFlushTimeout]. Zero or less makes
// uninstalling deliver nothing that is still pending.
func WithFlushTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.flush = d })
}
