package cleanuptest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A Resource is a fake resource for a client's field: it closes at once,
// fails, panics, hangs, is slow, or ignores its context, as the function
// that made it says. It offers the shapes a //cleanup:close directive can
// call:
//
//	db    io.Closer //cleanup:close                      -> Close() error
//	index *Resource //cleanup:close Shutdown              -> Shutdown(ctx) error
//	srv   *Resource //cleanup:close Shutdown force=Kill   -> Kill() error when Shutdown overruns
//
// and lets the test see what the teardown did to it: [Resource.Started],
// [Resource.Returned], [Resource.Calls], [Resource.Killed].
//
// Its methods are safe for concurrent use. A Resource must be made by one
// of [OK], [Fail], [Panic], [Hang], [Slow] and [IgnoreContext].
type Resource struct {
	fault fault
	err   error         // Fail's error
	value any           // Panic's value
	delay time.Duration // Slow's and IgnoreContext's

	release  chan struct{} // closed by Release
	started  chan struct{} // closed when the first call starts
	returned chan struct{} // closed when the first call returns or panics

	releaseOnce, startOnce, returnOnce sync.Once

	calls  atomic.Int64
	killed atomic.Bool
}

// fault is what a Resource does when it is closed.
type fault uint8

const (
	faultNone fault = iota
	faultFail
	faultPanic
	faultHang
	faultSlow
	faultIgnoreContext
)

func newResource(f fault) *Resource {
	return &Resource{
		fault:    f,
		release:  make(chan struct{}),
		started:  make(chan struct{}),
		returned: make(chan struct{}),
	}
}

// releasedBy makes r release its calls when t's test ends, or when
// [VerifyNone] is called with t.
func (r *Resource) releasedBy(t testing.TB) *Resource {
	fakes.mu.Lock()
	if fakes.byTest == nil {
		fakes.byTest = make(map[testing.TB][]*Resource)
	}
	first := len(fakes.byTest[t]) == 0
	fakes.byTest[t] = append(fakes.byTest[t], r)
	fakes.mu.Unlock()
	if first {
		t.Cleanup(func() { releaseFakes(t) })
	}
	return r
}

// fakes are the Resources that block, by the test that made them, until
// the test ends.
var fakes struct {
	mu     sync.Mutex
	byTest map[testing.TB][]*Resource
}

// releaseFakes releases the Resources made with t and forgets them.
func releaseFakes(t testing.TB) {
	fakes.mu.Lock()
	list := fakes.byTest[t]
	delete(fakes.byTest, t)
	fakes.mu.Unlock()
	for _, r := range list {
		r.Release()
	}
}

// OK returns a resource that closes at once and returns nil.
func OK() *Resource { return newResource(faultNone) }

// Fail returns a resource whose Close and Shutdown return err at once.
func Fail(err error) *Resource {
	r := newResource(faultFail)
	r.err = err
	return r
}

// Panic returns a resource whose Close and Shutdown panic with v.
func Panic(v any) *Resource {
	r := newResource(faultPanic)
	r.value = v
	return r
}

// Hang returns a resource whose Close and Shutdown block, whatever their
// context, until [Resource.Release] or [Resource.Kill] is called, and then
// return nil: a stuck peer, a WaitGroup that never reaches zero. t's test
// releases it when it ends (by t.Cleanup), or [VerifyNone] with t does,
// so that a step abandoned on it returns.
func Hang(t testing.TB) *Resource {
	return newResource(faultHang).releasedBy(t)
}

// Slow returns a resource whose Close takes d and returns nil, and whose
// Shutdown does the same unless its context ends first: then it returns
// the context's error at once, as a well-behaved Shutdown does.
// [Resource.Release], the end of t's test and [VerifyNone] with t cut
// every call short, with nil.
func Slow(t testing.TB, d time.Duration) *Resource {
	r := newResource(faultSlow).releasedBy(t)
	r.delay = d
	return r
}

// IgnoreContext returns a resource whose Close and Shutdown take d and
// return nil, even when Shutdown's context ends first: a teardown that
// does not listen. [Resource.Release], the end of t's test and
// [VerifyNone] with t cut every call short.
func IgnoreContext(t testing.TB, d time.Duration) *Resource {
	r := newResource(faultIgnoreContext).releasedBy(t)
	r.delay = d
	return r
}

// Close closes the resource as its fault says, without a context.
func (r *Resource) Close() error {
	return r.run(nil)
}

// Shutdown closes the resource as its fault says; only a [Slow] resource
// listens to ctx.
func (r *Resource) Shutdown(ctx context.Context) error {
	return r.run(ctx)
}

// Kill is a force method (force=Kill): it releases the calls that hang or
// are slow, as [Resource.Release] does, and returns nil.
func (r *Resource) Kill() error {
	r.killed.Store(true)
	r.Release()
	return nil
}

// Release makes every call of Close or Shutdown that hangs or is slow,
// and every later one, return nil at once. It is safe to call more than
// once.
func (r *Resource) Release() {
	r.releaseOnce.Do(func() { close(r.release) })
}

// Started returns a channel that is closed when the first call of Close or
// Shutdown starts: a test waits on it to know the step is running.
func (r *Resource) Started() <-chan struct{} { return r.started }

// Returned returns a channel that is closed when the first call of Close
// or Shutdown returns (or panics): a test waits on it to know that an
// abandoned step has returned.
func (r *Resource) Returned() <-chan struct{} { return r.returned }

// Calls returns how many times Close and Shutdown have been called: a
// client that tears down once calls one of them once.
func (r *Resource) Calls() int { return int(r.calls.Load()) }

// Killed reports whether Kill has been called.
func (r *Resource) Killed() bool { return r.killed.Load() }

// run is Close (ctx nil) and Shutdown.
func (r *Resource) run(ctx context.Context) error {
	r.calls.Add(1)
	r.startOnce.Do(func() { close(r.started) })
	defer r.returnOnce.Do(func() { close(r.returned) })
	switch r.fault {
	case faultFail:
		return r.err
	case faultPanic:
		panic(r.value)
	case faultHang:
		<-r.release
	case faultSlow, faultIgnoreContext:
		t := time.NewTimer(r.delay)
		defer t.Stop()
		var done <-chan struct{}
		if ctx != nil && r.fault == faultSlow {
			done = ctx.Done()
		}
		select {
		case <-t.C:
		case <-r.release:
		case <-done:
			return ctx.Err()
		}
	}
	return nil
}
