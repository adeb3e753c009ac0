package resourcecleanup

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Behaviour is what a fake [Resource] does when it is closed.
type Behaviour int

// The behaviours of a Resource's Close.
const (
	// Succeed returns nil at once.
	Succeed Behaviour = iota
	// Hang blocks, ignoring its context, until [Resource.Release].
	Hang
	// Panic panics with ErrBoom.
	Panic
	// Fail returns ErrBoom.
	Fail
	// IgnoreContext sleeps for Delay, whatever its context does, and
	// returns nil.
	IgnoreContext
	// Slow sleeps for Delay and returns nil, or returns the context's cause
	// as soon as its context ends.
	Slow
)

var behaviourNames = [...]string{
	Succeed: "succeeds", Hang: "hangs", Panic: "panics", Fail: "fails",
	IgnoreContext: "ignores ctx", Slow: "slow",
}

func (b Behaviour) String() string { return behaviourNames[b] }

// ErrBoom is what failing and panicking resources fail with.
var ErrBoom = errors.New("boom")

// A Resource is a fake closer with a configurable Close. Its methods are safe
// for concurrent use.
type Resource struct {
	behaviour Behaviour
	delay     time.Duration

	releaseOnce sync.Once
	release     chan struct{}

	calls    atomic.Int32
	returned atomic.Int32
	// ctxDone records whether Close's context was already done when it was
	// called.
	ctxDone atomic.Bool
}

// NewResource returns a Resource whose Close behaves as b; delay is for
// IgnoreContext and Slow.
func NewResource(b Behaviour, delay time.Duration) *Resource {
	return &Resource{behaviour: b, delay: delay, release: make(chan struct{})}
}

// Close tears the resource down as its behaviour says.
func (r *Resource) Close(ctx context.Context) error {
	r.calls.Add(1)
	r.ctxDone.Store(ctx.Err() != nil)
	defer r.returned.Add(1)
	switch r.behaviour {
	case Hang:
		<-r.release
	case Panic:
		panic(ErrBoom)
	case Fail:
		return ErrBoom
	case IgnoreContext:
		time.Sleep(r.delay)
	case Slow:
		t := time.NewTimer(r.delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	return nil
}

// Release lets a hanging Close return. It may be called more than once.
func (r *Resource) Release() {
	r.releaseOnce.Do(func() { close(r.release) })
}

// Calls returns how many times Close was called.
func (r *Resource) Calls() int { return int(r.calls.Load()) }

// Returned returns how many calls of Close have returned (or panicked).
func (r *Resource) Returned() int { return int(r.returned.Load()) }

// CalledDone reports whether the context of the last Close call was already
// done when Close was called.
func (r *Resource) CalledDone() bool { return r.ctxDone.Load() }

// A Server is a fake server that must be forced: its graceful Shutdown
// ignores its context and returns only once Close has been called, as an
// http.Server's Shutdown waits for connections that never go idle.
type Server struct {
	closeOnce sync.Once
	closed    chan struct{}

	shutdowns atomic.Int32
	closes    atomic.Int32
}

// NewServer returns a Server that has not been closed.
func NewServer() *Server { return &Server{closed: make(chan struct{})} }

// Shutdown waits for Close, whatever ctx does, and returns nil.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdowns.Add(1)
	<-s.closed
	return nil
}

// Close stops the server at once and lets Shutdown return.
func (s *Server) Close() error {
	s.closes.Add(1)
	s.closeOnce.Do(func() { close(s.closed) })
	return nil
}

// Shutdowns and Closes return how many times each method was called.
func (s *Server) Shutdowns() int { return int(s.shutdowns.Load()) }

// Closes returns how many times Close was called.
func (s *Server) Closes() int { return int(s.closes.Load()) }
