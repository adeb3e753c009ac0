package runtime

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by [Guard.Enter] once closing has begun.
var ErrClosed = errors.New("cleanupgen: client is closed")

// closingBit marks, in Guard.state, that closing has begun. The bits below it
// count the calls in flight.
const closingBit = 1 << 62

// A Guard is the door of a client: it lets calls in until closing begins,
// tracks the calls in flight, and makes the client's teardown run once.
//
// The zero value is ready to use. A Guard must not be copied after first use.
//
// A client method brackets its work with Enter and Leave:
//
//	func (c *Client) Fetch(ctx context.Context) error {
//		if err := c.guard.Enter(); err != nil {
//			return err // ErrClosed: the client is closing or closed
//		}
//		defer c.guard.Leave()
//		...
//	}
//
// A call that has entered may use every field of the client until it leaves:
// generated Close methods drop references only after the last Leave.
//
// All methods are safe for concurrent use.
type Guard struct {
	_ noCopy

	// state is closingBit, once closing has begun, plus the calls in flight.
	state atomic.Int64

	mu     sync.Mutex
	idle   chan struct{} // closed once closing has begun and no call is in flight
	done   chan struct{} // closed once teardown has ended
	isIdle bool
	// idleLate says the last Leave is running onIdle: idle closes after
	// it, so that a Close waiting for idle returns with the references
	// dropped.
	idleLate bool
	isDone   bool
	onIdle   func() // run once, at idle; set by dropWhenIdle
	err      error  // the teardown's result, once done

	// closing is done, with cause ErrClosed, once closing has begun; made
	// by the first EnterContext.
	closing       context.Context
	cancelClosing context.CancelCauseFunc
	isClosing     bool
}

// Enter admits a call. It returns nil, and the caller must call Leave when the
// call ends; or, once closing has begun, it returns [ErrClosed] and the
// caller must not call Leave.
func (g *Guard) Enter() error {
	// Checking first keeps calls that keep coming after closing began from
	// holding the count above zero.
	if g.state.Load()&closingBit != 0 {
		return ErrClosed
	}
	if g.state.Add(1)&closingBit != 0 {
		g.Leave()
		return ErrClosed
	}
	return nil
}

// EnterContext is [Guard.Enter] for calls that block until something
// happens (a Receive, a long poll, a request to a server that may stall),
// so that closing does not wait half its deadline for them. It admits a call
// and returns a context derived from ctx that is done when ctx is, or when
// closing begins, with cause [ErrClosed] (see [context.Cause]); the call
// must use that context for what it waits on, and call leave when it ends,
// instead of Leave. Calling leave again does nothing.
//
// Once closing has begun, EnterContext returns ctx itself, a leave that does
// nothing, and [ErrClosed].
//
//	func (c *Client) Receive(ctx context.Context) (Msg, error) {
//		ctx, leave, err := c.guard.EnterContext(ctx)
//		if err != nil {
//			return Msg{}, err
//		}
//		defer leave()
//		return c.conn.Receive(ctx) // ends when Close begins
//	}
func (g *Guard) EnterContext(ctx context.Context) (_ context.Context, leave func(), err error) {
	if err := g.Enter(); err != nil {
		return ctx, func() {}, err
	}
	cctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(g.closingContext(), func() { cancel(ErrClosed) })
	var left atomic.Bool
	return cctx, func() {
		if left.CompareAndSwap(false, true) {
			stop()
			cancel(context.Canceled)
			g.Leave()
		}
	}, nil
}

// closingContext returns a context that is done, with cause ErrClosed, once
// closing has begun.
func (g *Guard) closingContext() context.Context {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closing == nil {
		g.closing, g.cancelClosing = context.WithCancelCause(context.Background())
		if g.isClosing {
			g.cancelClosing(ErrClosed)
		}
	}
	return g.closing
}

// Leave ends a call admitted by Enter. The last Leave after closing has begun
// lets the teardown drop the client's references. Leave without a matching
// Enter panics, like a negative [sync.WaitGroup] counter, and leaves the
// Guard as it was: the calls in flight and whether closing has begun.
func (g *Guard) Leave() {
	for {
		old := g.state.Load()
		if old&(closingBit-1) == 0 {
			panic("cleanupgen/runtime: Guard.Leave without a matching Enter (no call is in flight)")
		}
		if g.state.CompareAndSwap(old, old-1) {
			if old-1 == closingBit {
				g.markIdle()
			}
			return
		}
	}
}

// Closed reports whether closing has begun: from then on Enter returns
// [ErrClosed]. Teardown may still be running; [Guard.Done] says when it ends.
func (g *Guard) Closed() bool {
	return g.state.Load()&closingBit != 0
}

// Done returns a channel that is closed when the first Close has returned,
// that is, when teardown has ended (by success, failure or deadline). Steps
// abandoned at the deadline may still be running; [Abandoned] lists them.
func (g *Guard) Done() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.done == nil {
		g.done = make(chan struct{})
		if g.isDone {
			close(g.done)
		}
	}
	return g.done
}

// begin closes the door. It reports whether this call was the first to do
// so, and so owns the teardown.
func (g *Guard) begin() bool {
	old := g.state.Or(closingBit)
	if old&closingBit != 0 {
		return false
	}
	g.mu.Lock()
	g.isClosing = true
	if g.cancelClosing != nil {
		g.cancelClosing(ErrClosed)
	}
	g.mu.Unlock()
	if old == 0 {
		g.markIdle()
	}
	return true
}

// idleChan returns a channel closed once closing has begun and no call is in
// flight.
func (g *Guard) idleChan() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.idle == nil {
		g.idle = make(chan struct{})
		if g.isIdle && !g.idleLate {
			close(g.idle)
		}
	}
	return g.idle
}

// markIdle records that no call is in flight after closing began. Attempts
// to enter a closed guard pass through zero again, so it may run many times;
// only the first has an effect.
func (g *Guard) markIdle() {
	g.mu.Lock()
	if g.isIdle {
		g.mu.Unlock()
		return
	}
	g.isIdle = true
	f := g.onIdle
	g.onIdle = nil
	if f == nil {
		if g.idle != nil {
			close(g.idle)
		}
		g.mu.Unlock()
		return
	}
	g.idleLate = true
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.idleLate = false
		if g.idle != nil {
			close(g.idle)
		}
		g.mu.Unlock()
	}()
	f()
}

// isIdleNow reports whether closing has begun and no call is in flight; once
// true, it stays true.
func (g *Guard) isIdleNow() bool {
	if g.state.Load() == closingBit {
		// Closing, and no call in flight: idle, even if the last Leave has
		// not reached markIdle yet.
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.isIdle
}

// dropWhenIdle runs drop now if no call is in flight, and otherwise at the
// last Leave. It reports whether drop ran now.
func (g *Guard) dropWhenIdle(drop func()) bool {
	g.mu.Lock()
	if !g.isIdle {
		g.onIdle = drop
		g.mu.Unlock()
		return false
	}
	g.mu.Unlock()
	drop()
	return true
}

// finish records the teardown's result and closes Done.
func (g *Guard) finish(err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.err = err
	g.isDone = true
	if g.done != nil {
		close(g.done)
	}
}

// isDoneNow reports whether the teardown has ended.
func (g *Guard) isDoneNow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.isDone
}

// result returns the teardown's result; valid once Done is closed.
func (g *Guard) result() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// noCopy makes go vet's copylocks check report copies of the struct that
// holds it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}
