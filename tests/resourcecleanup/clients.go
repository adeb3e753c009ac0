package resourcecleanup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// MatrixClient is the client of the fault matrix: one step whose behaviour
// varies (res, or srv for a resource that must be forced), with a budget
// of its own, and a step in a later phase (after) that shows what comes
// after a stuck step is still released.
//
//cleanup:client timeout=1s
type MatrixClient struct {
	guard runtime.Guard

	res   *Resource //cleanup:close timeout=300ms
	srv   *Server   //cleanup:close Shutdown force=Close timeout=300ms
	after *Resource //cleanup:close order=3
}

// NewMatrixClient returns a client over res or srv (one may be nil) and after.
func NewMatrixClient(res *Resource, srv *Server, after *Resource) *MatrixClient {
	return &MatrixClient{res: res, srv: srv, after: after}
}

// StressClient is the client of the stress test: a single resource under a
// short overall deadline.
//
//cleanup:client timeout=100ms
type StressClient struct {
	guard runtime.Guard

	res *Resource //cleanup:close
}

// NewStressClient returns a client over res.
func NewStressClient(res *Resource) *StressClient { return &StressClient{res: res} }

// RaceClient has a managed field of every kind a client can drop, and methods
// that use them all between Enter and Leave, so that the race detector sees
// any teardown that drops a reference under a call in flight.
//
//cleanup:client timeout=2s
type RaceClient struct {
	guard runtime.Guard

	mu    sync.Mutex //cleanup:ignore
	count int        //cleanup:ignore

	res    *Resource            //cleanup:close
	byName map[string]*Resource //cleanup:close
	list   []*Resource          //cleanup:close
	cancel context.CancelFunc   //cleanup:cancel
	wg     *sync.WaitGroup      //cleanup:wait
	events chan int             //cleanup:nil
	label  func() string        //cleanup:nil
	sink   io.Writer            //cleanup:nil
}

// NewRaceClient returns a client whose resources all succeed.
func NewRaceClient() *RaceClient {
	ctx, cancel := context.WithCancel(context.Background())
	c := &RaceClient{
		res:    NewResource(Succeed, 0),
		byName: map[string]*Resource{"a": NewResource(Succeed, 0), "b": NewResource(Succeed, 0)},
		list:   []*Resource{NewResource(Succeed, 0), NewResource(Succeed, 0)},
		cancel: cancel,
		wg:     new(sync.WaitGroup),
		events: make(chan int, 1),
		label:  func() string { return "race" },
		sink:   io.Discard,
	}
	// A background goroutine the wait step waits for; the cancel step ends it.
	c.wg.Go(func() { <-ctx.Done() })
	return c
}

// Use reads every managed field and updates the counter: the work of a call.
// It returns runtime.ErrClosed once Close has begun.
func (c *RaceClient) Use() error {
	if err := c.guard.Enter(); err != nil {
		return err
	}
	defer c.guard.Leave()
	n := c.res.Calls() + c.byName["a"].Calls() + len(c.list) + cap(c.events)
	select {
	case c.events <- n:
	default:
		select {
		case <-c.events:
		default:
		}
	}
	if _, err := fmt.Fprint(c.sink, c.label(), n); err != nil {
		return err
	}
	c.mu.Lock()
	c.count++
	c.mu.Unlock()
	return nil
}

// Count returns how many calls of Use succeeded.
func (c *RaceClient) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Resources returns every resource of the client, for checks after Close;
// call it before Close, which drops them. It reads the fields without the
// guard on purpose: it runs when no call or teardown does.
//
//nolint:cleanupcheck // read before Close, by the test alone
func (c *RaceClient) Resources() []*Resource {
	all := []*Resource{c.res}
	for _, r := range c.byName {
		all = append(all, r)
	}
	return append(all, c.list...)
}

// Hold is Use that keeps the guard until release is closed, and touches the
// fields again before it leaves: a call in flight that outlives Close's
// deadline.
func (c *RaceClient) Hold(entered chan<- struct{}, release <-chan struct{}) error {
	if err := c.guard.Enter(); err != nil {
		return err
	}
	defer c.guard.Leave()
	close(entered)
	<-release
	if c.res == nil || c.byName == nil || c.list == nil || c.events == nil || c.label == nil || c.sink == nil || c.wg == nil {
		return errors.New("a field was dropped under a call in flight")
	}
	_, err := fmt.Fprint(c.sink, c.label(), c.res.Calls())
	return err
}

// Dropped reports whether every managed reference field is nil. Call it
// only when no other call can be running.
//
//nolint:cleanupcheck // read after Close, by the test alone
func (c *RaceClient) Dropped() bool {
	return c.res == nil && c.byName == nil && c.list == nil && c.cancel == nil && c.wg == nil &&
		c.events == nil && c.label == nil && c.sink == nil
}

// StuckKey is a map key whose String method never returns: a teardown must
// name its elements without calling it.
type StuckKey struct{ N int }

// String blocks forever.
func (StuckKey) String() string { select {} }

// KeyedClient holds resources in a map whose keys are StuckKeys.
//
//cleanup:client timeout=100ms
type KeyedClient struct {
	guard runtime.Guard

	byKey map[StuckKey]*Resource //cleanup:close
}

// NewKeyedClient returns a client over rs, keyed by their index.
func NewKeyedClient(rs ...*Resource) *KeyedClient {
	c := &KeyedClient{byKey: make(map[StuckKey]*Resource, len(rs))}
	for i, r := range rs {
		c.byKey[StuckKey{i}] = r
	}
	return c
}
