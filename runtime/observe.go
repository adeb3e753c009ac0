package runtime

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Report describes a teardown whose caller has returned: a Close of a
// generated client, a [Plan.Close], or a [Manager.Wait].
type Report struct {
	// ID identifies the teardown among all of the process's teardowns: it
	// is never zero and never reused. [AbandonedTask.Teardown] and
	// [StepReport.Teardown] carry it, so that a test can tell its own
	// teardown from another running in parallel.
	ID uint64
	// Context is the context given to CloseContext (or NewManager): an
	// observer finds in it what the caller's context carries, such as a
	// trace span.
	Context context.Context
	// Client names what was torn down: "package.Type", or the Manager's
	// name.
	Client string
	// Start is when the teardown began: when the door closed.
	Start time.Time
	// End is when the caller returned.
	End time.Time
	// Deadline is the teardown's deadline: the earlier of the context's
	// deadline and Start plus the timeout; the zero Time when it had none
	// (deadlines off, or a timeout that saturated).
	Deadline time.Time
	// Err is what the caller got.
	Err error
	// Steps are the teardown's steps, in plan order (or the order of the
	// Manager.Go calls), those that succeeded included. A collection step
	// is listed element by element once its elements were listed, and as
	// one step when the deadline came first.
	Steps []StepReport
}

// StepReport is one step of a [Report].
type StepReport struct {
	// Teardown is the [Report.ID] of the teardown the step belongs to.
	Teardown uint64
	// Name is the step's name, as in [TaskResult].
	Name string
	// Field is the field the step tears down: Name for a step of its own,
	// the collection's name for an element of a collection (Name is then
	// such as conns["a"]). For a Manager's task it is the task's name.
	Field string
	// Index is the element's index in its collection (in the order Refs
	// listed them), for an element of a collection step; -1 otherwise.
	Index int
	// Phase is the step's phase (its [Step.Phase]; 0 for a Manager's task).
	Phase int
	// Budget is how long the step had when it started: its own timeout, or
	// the time left to the deadline, whichever was shorter; 0 for a step
	// not started by the deadline or run without a deadline.
	Budget time.Duration
	// Forced says the step's force method was called.
	Forced bool
	// State is how the step ended, as the caller saw it.
	State State
	// Start is when the step started; the zero Time for a step not started
	// by the deadline.
	Start time.Time
	// End is when the step returned (or its result was settled, for a step
	// that timed out or was forced); for an abandoned step, when it was
	// abandoned; the zero Time for a step not started by the deadline. For
	// a step reported to [Observer.Returned], when it returned at last.
	End time.Time
	// Err is the step's error.
	Err error
	// Stack, for a step abandoned at the deadline, is where it was stuck:
	// the function names of the top frames of the goroutine running it,
	// innermost first, such as net.(*conn).Read then
	// vision.(*session).End. Nil when the step was not abandoned, or when no
	// goroutine profile was taken for it (they are rate-limited).
	Stack []string
}

// An Observer is told of every teardown of the process once its caller has
// returned, and of every abandoned step that returns at last. Its methods
// are called after the fact, one at a time, on the goroutine that delivers
// the runtime's events, never on a caller's path: an observer that is slow
// delays other events (and, when they pile up, loses them: see the package
// documentation), never a Close. A panic in an observer is recovered.
type Observer interface {
	// Ended is called once for each teardown, after its caller returned.
	Ended(r Report)
	// Returned is called when a step that a teardown of client reported
	// as abandoned returns at last; s.End is when it returned, s.Err what
	// it returned.
	Returned(client string, s StepReport)
}

// teardownSeq numbers the process's teardowns: see Report.ID.
var teardownSeq atomic.Uint64

// newTeardownID returns the ID of a teardown that begins now: never zero,
// never reused.
func newTeardownID() uint64 { return teardownSeq.Add(1) }

// teardownIDKey is the key under which a teardown's step context carries
// the teardown's ID.
type teardownIDKey struct{}

// TeardownID returns the [Report.ID] of the teardown whose step ctx
// belongs to: ctx is, or derives from, the context given to a step of a
// [Plan] or to a task of a [Manager]. It returns 0 for any other context.
// A step that closes another client passes its context on, so that the
// steps of that teardown find their own ID, not this one.
func TeardownID(ctx context.Context) uint64 {
	if ctx == nil {
		return 0
	}
	id, _ := ctx.Value(teardownIDKey{}).(uint64)
	return id
}

// observers holds the installed observers; observing says whether there
// are any, so that teardowns skip building reports nobody reads.
var (
	observersMu sync.Mutex
	observers   atomic.Pointer[[]*observerEntry]
)

type observerEntry struct{ o Observer }

// AddObserver installs o for every teardown of the process, from the next
// one on, and returns a function that removes it. Removing it twice is
// harmless.
func AddObserver(o Observer) (remove func()) {
	e := &observerEntry{o}
	observersMu.Lock()
	defer observersMu.Unlock()
	var list []*observerEntry
	if p := observers.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = append(list, e)
	observers.Store(&list)
	return func() {
		observersMu.Lock()
		defer observersMu.Unlock()
		p := observers.Load()
		if p == nil {
			return
		}
		list := slices.DeleteFunc(slices.Clone(*p), func(x *observerEntry) bool { return x == e })
		if len(list) == 0 {
			observers.Store(nil)
			return
		}
		observers.Store(&list)
	}
}

// observing reports whether any observer is installed.
func observing() bool { return observers.Load() != nil }

// eachObserver calls fn for each installed observer, recovering a panic in
// each call.
func eachObserver(fn func(Observer)) {
	p := observers.Load()
	if p == nil {
		return
	}
	for _, e := range *p {
		func() {
			defer func() { _ = recover() }()
			fn(e.o)
		}()
	}
}
