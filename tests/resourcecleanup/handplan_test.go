package resourcecleanup

import (
	"context"
	"strconv"
	"time"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// handClient is a client whose teardown plan is written by hand, as
// closures: the tests of what runs around the steps need steps of every
// shape, collections of any size included, without the generator.
type handClient struct {
	guard runtime.Guard
	plan  *runtime.Plan[handClient, handRefs] // not a managed field
	steps []handStep
	// other is a client closed by the step "other", with the step's ctx,
	// as generated code closes a field that is a client.
	other *handClient
}

// handStep is one step of a handClient: Close, or, for a collection, one
// call of Elem per element.
type handStep struct {
	Name    string
	Phase   int
	Timeout time.Duration
	Close   func(ctx context.Context) error
	Force   func(ctx context.Context) error
	// N and Elem make a collection of N elements named Name[i].
	N    int
	Elem func(ctx context.Context, i int) error
}

// handRefs implements runtime.Refs for handClient.
type handRefs struct {
	steps []handStep
	other *handClient
}

func (r *handRefs) Take(x *handClient) { r.steps, r.other = x.steps, x.other }
func (r *handRefs) Drop(x *handClient) { x.steps, x.other = nil, nil }
func (r *handRefs) Len(step int) int   { return r.steps[step].N }

func (r *handRefs) Name(step, elem int) string {
	return r.steps[step].Name + "[" + strconv.Itoa(elem) + "]"
}

func (r *handRefs) Close(ctx context.Context, step, elem int, force bool) error {
	s := r.steps[step]
	switch {
	case s.Name == "other":
		if r.other == nil {
			return nil
		}
		return r.other.CloseContext(ctx)
	case force:
		return s.Force(ctx)
	case s.Elem != nil:
		return s.Elem(ctx, elem)
	}
	return s.Close(ctx)
}

// newHand returns a client of the plan typ with the given timeout and steps.
func newHand(typ string, timeout time.Duration, steps ...handStep) *handClient {
	p := &runtime.Plan[handClient, handRefs]{Type: typ, Timeout: timeout}
	for _, s := range steps {
		p.Steps = append(p.Steps, runtime.Step{Name: s.Name, Phase: s.Phase, Timeout: s.Timeout, Force: s.Force != nil, Each: s.Elem != nil})
	}
	return &handClient{plan: p, steps: steps}
}

func (c *handClient) Close() error { return c.CloseContext(context.Background()) }

func (c *handClient) CloseContext(ctx context.Context) error {
	return c.plan.Close(ctx, &c.guard, c)
}
