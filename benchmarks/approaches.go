package benchmarks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/fx"
	"golang.org/x/sync/errgroup"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// ClientTimeout is the timeout of the generated clients, and the deadline
// every approach gets when the resources do not hang.
const ClientTimeout = 10 * time.Second

// errDeadline is what the hand-written wrapper returns at its deadline.
var errDeadline = errors.New("close: deadline exceeded")

// An Approach is one way of writing Close for a client that holds
// resources.
type Approach struct {
	// Name names the approach in benchmark names, tables and plots.
	Name string
	// Seq says the approach closes the resources one after the other;
	// otherwise it closes them concurrently.
	Seq bool
	// Deadline says Close returns by the deadline whatever the resources
	// do; an approach without one hangs as long as a resource does.
	Deadline bool
	// Prepare builds a client that holds rs, outside the measured time, and
	// returns its Close, which returns within deadline if the approach has
	// one.
	Prepare func(rs []*Resource, deadline time.Duration) (closeFn func() error, err error)
}

// Approaches lists the approaches the benchmarks compare.
var Approaches = []Approach{
	{Name: "generated", Seq: true, Deadline: true, Prepare: prepareGenerated(true, false)},
	{Name: "handwritten", Seq: true, Deadline: true, Prepare: prepareHandWritten},
	{Name: "handwritten-ctx", Seq: true, Deadline: true, Prepare: prepareHandWrittenContext},
	{Name: "fx", Seq: true, Deadline: true, Prepare: prepareFx},
	{Name: "plain", Seq: true, Prepare: preparePlain},
	{Name: "generated", Deadline: true, Prepare: prepareGenerated(false, false)},
	{Name: "generated-array", Deadline: true, Prepare: prepareGenerated(false, true)},
	{Name: "errgroup", Prepare: prepareErrgroup},
}

// prepareGenerated closes a client whose Close cleanupgen generated: with
// Close when deadline is the client's own timeout, and otherwise with
// CloseContext and a context that carries deadline.
func prepareGenerated(seq, array bool) func([]*Resource, time.Duration) (func() error, error) {
	return func(rs []*Resource, deadline time.Duration) (func() error, error) {
		if array && len(rs) != 64 {
			return nil, nil // only Array64 exists
		}
		c := NewGenerated(rs, seq, array)
		if deadline == ClientTimeout {
			return c.Close, nil
		}
		return func() error {
			ctx, cancel := context.WithTimeout(context.Background(), deadline)
			defer cancel()
			return c.CloseContext(ctx)
		}, nil
	}
}

// HandWritten is the client a careful programmer writes without cleanupgen:
// one goroutine closes the resources in turn while Close waits for it or
// for a timer.
type HandWritten struct {
	resources []*Resource
}

// CloseWithin closes the resources and returns within d.
func (c *HandWritten) CloseWithin(d time.Duration) error {
	rs := c.resources
	c.resources = nil
	done := make(chan error, 1)
	go func() { done <- closeAll(rs) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return errDeadline
	}
}

// CloseContextWithin is CloseWithin with the deadline carried by a context,
// as many hand-written wrappers are written: context.WithTimeout, one
// goroutine that closes the resources in turn, and a wait for it or for the
// context.
func (c *HandWritten) CloseContextWithin(d time.Duration) error {
	rs := c.resources
	c.resources = nil
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- closeAll(rs) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errDeadline
	}
}

func prepareHandWrittenContext(rs []*Resource, deadline time.Duration) (func() error, error) {
	c := &HandWritten{resources: rs}
	return func() error { return c.CloseContextWithin(deadline) }, nil
}

func prepareHandWritten(rs []*Resource, deadline time.Duration) (func() error, error) {
	c := &HandWritten{resources: rs}
	return func() error { return c.CloseWithin(deadline) }, nil
}

// prepareErrgroup closes the resources concurrently with an errgroup,
// which has no deadline: Wait waits for every one.
func prepareErrgroup(rs []*Resource, _ time.Duration) (func() error, error) {
	return func() error {
		var g errgroup.Group
		for _, r := range rs {
			g.Go(r.Close)
		}
		return g.Wait()
	}, nil
}

// prepareFx starts an fx application with one OnStop hook per resource;
// its Close is App.Stop with a context that carries the deadline. fx runs
// the hooks one after the other (in reverse order) and returns at the
// context's deadline.
func prepareFx(rs []*Resource, deadline time.Duration) (func() error, error) {
	app := fx.New(
		fx.NopLogger,
		fx.Invoke(func(lc fx.Lifecycle) {
			for _, r := range rs {
				lc.Append(fx.Hook{OnStop: func(context.Context) error { return r.Close() }})
			}
		}),
	)
	if err := app.Start(context.Background()); err != nil {
		return nil, fmt.Errorf("fx start: %w", err)
	}
	return func() error {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		return app.Stop(ctx)
	}, nil
}

// preparePlain closes the resources one after the other, with no deadline,
// as most Close methods do.
func preparePlain(rs []*Resource, _ time.Duration) (func() error, error) {
	return func() error { return closeAll(rs) }, nil
}

// closeAll closes rs one after the other and joins their errors: the
// plain Close, and the work of the hand-written wrappers' goroutine.
func closeAll(rs []*Resource) error {
	var errs []error
	for _, r := range rs {
		if err := r.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// WithDeadlines runs fn with the runtime's deadlines on or off, as
// CLEANUPGEN_DEADLINES=off does, and restores the setting.
func WithDeadlines(on bool, fn func()) {
	defer runtime.SetDeadlines(on)()
	fn()
}

// NewHandWritten returns a HandWritten client that holds rs.
func NewHandWritten(rs []*Resource) *HandWritten {
	return &HandWritten{resources: rs}
}
