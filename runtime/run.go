package runtime

import (
	"context"
	"errors"
	"fmt"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"time"
)

// unitState is where a unit, a step or one element of a collection step,
// is in its lifecycle. Every transition happens under run.mu.
//
//	pending ──phase starts──▶ running ──returns──▶ done
//	   │                       │  ▲ budget runs out, no force: overdue ──returns, or Grace later──▶ done
//	   │                       │  └ budget runs out (or gave up), force: forcing ──force returns──▶ done
//	   │                       └──────── the deadline comes (running, overdue, forcing) ──▶ abandoned
//	   └──the deadline comes first──▶ late
type unitState uint8

const (
	// unitPending: not started. The starter of its phase moves it to
	// unitRunning; once the deadline has come, the teardown starts it late
	// (unitLate).
	unitPending unitState = iota
	// unitRunning: its graceful call runs and its phase waits for it. It
	// moves to unitDone when the call returns; when its own budget runs
	// out, to unitForcing if it has a force method (or when the call gives
	// up with its context done), and to unitOverdue if not; at the
	// deadline, to unitAbandoned.
	unitRunning
	// unitOverdue: its own budget ran out and it has no force method. Its
	// phase waits Grace more for it, then records it as timed out
	// (unitDone); a return in that Grace is timed out too, with the step's
	// error. At the deadline, unitAbandoned.
	unitOverdue
	// unitForcing: its force method runs; the graceful call may run too.
	// The force's return moves it to unitDone; the deadline, to
	// unitAbandoned.
	unitForcing
	// unitDone: its result is final and its phase no longer waits for it.
	// A graceful call that a force cut short may still run.
	unitDone
	// unitAbandoned: it was still running when the caller returned at the
	// deadline; its result says so, whatever it returns later. It is listed
	// by Abandoned while a call of it runs. Final.
	unitAbandoned
	// unitLate: the deadline came before its phase started it; it was
	// started then with the expired context, is not waited for, and is
	// reported as not started by the deadline. It is listed by Abandoned
	// while a call of it runs, once Grace has passed. Final.
	unitLate
)

// unit is a step as it runs: one Step, or one element of a collection Step.
// It is kept small, and holds no pointer: a teardown allocates its units in
// one piece, which the garbage collector does not scan (40 bytes a unit;
// with its error and budget in it, 64). Its error is kept apart (see
// errOf), and its own budget is worked out from its start (see budgetOf).
//
// A collection step's own unit runs first as a step of its own: it takes
// the step's fields and lists the elements (see list), and then gives way
// to them; if the deadline comes first, it stays in the results as the
// whole collection.
type unit struct {
	start  time.Duration // when it started, since the run's start
	dur    time.Duration // its result's duration
	step   int32         // index in Plan.Steps
	elem   int32         // index of the element, for a collection's
	state  unitState     //
	result State         // its result's state, once done or abandoned
	live   int8          // its calls (graceful, force) still running
	forced bool          // its force method has been called
	listed bool          // a collection step whose elems are set
	// taking says it is a step with a force method whose TakeStep has not
	// returned: nothing to force yet. It is atomic so that TakeStep's
	// return needs no lock (see took); steps without a force method leave
	// it alone.
	taking atomic.Bool
	whole  bool // a collection the deadline came before listing: reported as one step
}

// next says what the goroutine that settled a unit does next.
type next uint8

const (
	nextNone  next = iota // nothing: return
	nextStart             // it holds the right to start phases: start the next one
	nextForce             // call the unit's force method
	nextRun               // run the unit given with it: the first of a phase it started
)

// run is one teardown: the first Plan.Close of a client.
//
// The goroutine that called Close calls no user code: it starts the first
// phase when nothing needs waiting for or taking first (see start), and
// otherwise waits: for done, the deadline or ctx. The run's own goroutines
// do the rest. One goroutine at a time holds the right to start phases
// (starting): the caller, until it has started the first phase, or begin,
// through the wait for calls in flight and Take; then whichever settles
// the last unit of a phase, which starts the next one and runs one of its
// units itself.
type run[T, R any] struct {
	// ctxp holds the steps' context once a step (or the caller, at the
	// deadline) asks for it: the run is itself the steps' context (see
	// Deadline, Done, Err, Value), and a teardown whose steps never look at
	// their context makes neither it nor its timer.
	ctxp     atomic.Pointer[ctxBox]
	released atomic.Bool // the caller has returned: a context made now is done
	// overNow is over, readable without the lock; set with it.
	overNow  atomic.Bool
	parent   context.Context // the caller's
	id       uint64          // the teardown's ID: Report.ID
	plan     *Plan[T, R]
	info     *planInfo
	g        *Guard
	x        *T
	rf       Refs[T]      // &refs
	tk       StepTaker[T] // &refs, when it takes step by step
	refs     R
	start    time.Time
	deadline time.Time // zero when deadlines are off
	fromCtx  bool      // deadline is the caller's context's
	on       bool      // deadlines are enabled

	mu         sync.Mutex
	units      []unit  // one per step, in the order of Plan.Steps
	errs       []error // by step, its unit's error, once one has one: see errOf
	next       int     // position in phase order of the first step not started
	pending    int     // units of the current phase not yet done
	failed     int     // units done with a failing result
	starting   bool    // a goroutine holds the right to start phases
	ended      bool    // the last phase ended before the deadline
	over       bool    // the caller returned at the deadline: results are final
	lateDone   bool    // over, and every unit has been started
	liveUnits  int     // over, and units with a call still running
	registered bool    // in the set behind Abandoned
	phasesDone bool    // the last phase has ended (in time or not)
	dropped    bool    // Drop has run or is scheduled
	dropping   bool    // Drop runs before the caller's result: see endPhases
	// dropAtLeave says Drop was left to the last Leave before the last
	// phase ended: the caller waits for it as for the calls in flight.
	dropAtLeave bool
	lingering   int // done units whose graceful call still runs
	elems       int // elements listed so far
	// aux holds what few teardowns need, made on first use (see more).
	aux *runAux
	// probed is closed once the stacks of abandoned steps are known (see
	// probeStacks).
	probed chan struct{}
	overAt time.Duration
	done   chan struct{} // closed when ended is set
	err    error         // what the caller got
	end    time.Duration // when the caller returned, since the run's start
}

// runAux is the part of a run that few teardowns need: what collections,
// failures of Refs methods and abandoned steps leave. Kept out of run, it
// costs a Close that needs none of it nothing: on a machine where the
// garbage collector's cost follows the bytes allocated, a smaller run is a
// quicker Close.
type runAux struct {
	// elems holds, by step, a collection's elements, once listed.
	elems [][]unit
	// names holds, by step, the names of a collection's elements, once
	// listed.
	names [][]string
	// results has room for a result per unit once a collection is
	// listed, so that the caller does not allocate it at the deadline.
	results []TaskResult
	// elemErrs holds, by step, the errors of a collection's elements, once
	// one has an error: see errOf.
	elemErrs [][]error
	// extra are the failures of Refs methods that belong to no step: Take
	// and Drop.
	extra []TaskResult
	// stacks holds, by step, where its abandoned goroutines were stuck.
	stacks map[int32][]string
}

// more returns r.aux, making it on first use. r.mu is held.
func (r *run[T, R]) more() *runAux {
	if r.aux == nil {
		r.aux = &runAux{}
	}
	return r.aux
}

// extra returns the failures of Refs methods that belong to no step. r.mu
// is held, or nothing changes them any more.
func (r *run[T, R]) extra() []TaskResult {
	if r.aux == nil {
		return nil
	}
	return r.aux.extra
}

// stack returns where the abandoned goroutines of step were stuck, or nil.
// r.mu is held.
func (r *run[T, R]) stack(step int32) []string {
	if r.aux == nil {
		return nil
	}
	return r.aux.stacks[step]
}

// elemsOf returns the elements of u, a listed collection step's own unit.
// r.mu is held, or they are listed already.
func (r *run[T, R]) elemsOf(u *unit) []unit {
	if r.aux == nil || r.aux.elems == nil {
		return nil
	}
	return r.aux.elems[u.step]
}

// isElem reports whether u is an element of a collection step, not a
// step's own unit.
func (r *run[T, R]) isElem(u *unit) bool {
	return r.plan.Steps[u.step].Each && u != &r.units[u.step]
}

// errOf returns unit u's error. r.mu is held, or no unit changes any more.
func (r *run[T, R]) errOf(u *unit) error {
	if r.isElem(u) {
		if r.aux.elemErrs == nil || r.aux.elemErrs[u.step] == nil {
			return nil
		}
		return r.aux.elemErrs[u.step][u.elem]
	}
	if r.errs == nil {
		return nil
	}
	return r.errs[u.step]
}

// setErr sets unit u's error, making room for the errors of its kind of
// unit on first use: most teardowns have none. r.mu is held.
func (r *run[T, R]) setErr(u *unit, err error) {
	if err == nil && r.errOf(u) == nil {
		return
	}
	if !r.isElem(u) {
		if r.errs == nil {
			r.errs = make([]error, len(r.units))
		}
	} else {
		aux := r.aux // made when the elements were listed
		if aux.elemErrs == nil {
			aux.elemErrs = make([][]error, len(r.units))
		}
		if aux.elemErrs[u.step] == nil {
			aux.elemErrs[u.step] = make([]error, len(aux.elems[u.step]))
		}
	}
	*r.errRef(u) = err
}

// errRef returns where unit u's error is kept, once setErr or abandonAll
// has made room for it. r.mu is held.
func (r *run[T, R]) errRef(u *unit) *error {
	if r.isElem(u) {
		return &r.aux.elemErrs[u.step][u.elem]
	}
	return &r.errs[u.step]
}

// budgetOf returns unit u's own budget: how long it had from its start
// until its Step.Timeout ran out or its force method was due, when that
// came before the deadline, and otherwise 0 (its budget is the deadline's).
// A collection step's own unit, which lists the elements, has none. u has
// started, in its phase (a unit started late has no budget of its own).
// It reads nothing that changes once u has started: the goroutine that
// runs u calls it without the lock.
func (r *run[T, R]) budgetOf(u *unit) time.Duration {
	s := &r.plan.Steps[u.step]
	if !r.on || s.Timeout <= 0 && !s.Force || s.Each && !r.isElem(u) {
		return 0
	}
	// A budget that ends at the deadline is the deadline's business: only
	// one that ends before it gets a context and a timer.
	started := r.start.Add(u.start)
	if e := r.budgetEnd(started, s.Timeout, s.Force); e.Before(r.deadline) {
		return e.Sub(started)
	}
	return 0
}

// A runner is a run, as the functions that start its goroutines see it.
//
// A run's goroutines start at these functions, which are not generic: the
// Go runtime reads the name of a goroutine's start function when the
// goroutine starts and when it exits (to tell the runtime's own goroutines
// apart), and the name of a generic method spells out its type arguments,
// a client's whole struct type, in hundreds of bytes. Reading it cost about
// 100 ns a goroutine.
type runner interface {
	begin()
	exec(u *unit)
	execLate(u *unit, force bool)
	late(start bool)
	dropAsync()
	dropLate()
}

func goBegin(x runner)                         { go x.begin() }
func goExec(x runner, u *unit)                 { go x.exec(u) }
func goExecLate(x runner, u *unit, force bool) { go x.execLate(u, force) }
func goLate(x runner, start bool)              { go x.late(start) }
func goDropAsync(x runner)                     { go x.dropAsync() }
func goDropLate(x runner)                      { go x.dropLate() }

// inFlightStep names, in results, the wait for calls between Enter and Leave.
const inFlightStep = "calls in flight"

// teardownKey is the key under which a run's context finds the run.
type teardownKey struct{}

// ctxBox is a run's context and the function that releases it.
type ctxBox struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// ctx returns the steps' context, making it on first use: it carries the
// deadline (its own timer, see teardownContext) and is done with the
// caller's context. Made once the caller has returned, it is done already.
func (r *run[T, R]) ctx() context.Context {
	if b := r.ctxp.Load(); b != nil {
		return b.ctx
	}
	b := &ctxBox{}
	b.ctx, b.cancel = teardownContext(r.parent, r.start, r.deadline, r.fromCtx, r.on)
	if !r.ctxp.CompareAndSwap(nil, b) {
		b.cancel()
		return r.ctxp.Load().ctx
	}
	if r.released.Load() {
		// Made after the caller returned (or while release ran, which then
		// saw no context): past the deadline it is expired already, with
		// the deadline's error; before it, it is released now.
		b.cancel()
	}
	return b.ctx
}

// release releases the steps' context, once the caller returns.
func (r *run[T, R]) release() {
	r.released.Store(true)
	if b := r.ctxp.Load(); b != nil {
		b.cancel()
	}
}

// expired waits, once the caller's timer has fired at the deadline, for
// the steps' context to be done, if a step has made it: its own timer fires
// at the same instant, on a goroutine that may not have run yet. A context
// nobody made is not made now: the caller's path stays free of it.
func (r *run[T, R]) expired() {
	if b := r.ctxp.Load(); b != nil {
		<-b.ctx.Done()
	}
}

// Deadline returns the run's deadline, without making its context.
func (r *run[T, R]) Deadline() (time.Time, bool) {
	if !r.on || endless(r.start, r.deadline) {
		return time.Time{}, false
	}
	return r.deadline, true
}

// Done returns the channel of the steps' context.
func (r *run[T, R]) Done() <-chan struct{} { return r.ctx().Done() }

// Err returns the error of the steps' context.
func (r *run[T, R]) Err() error { return r.ctx().Err() }

// Value returns the run itself for teardownKey, and otherwise what its
// context holds.
func (r *run[T, R]) Value(key any) any {
	switch key.(type) {
	case teardownKey:
		return r
	case teardownIDKey:
		return r.id
	}
	return r.ctx().Value(key)
}

// A teardownLink is a run, as reentrant sees it.
type teardownLink interface {
	guard() *Guard
	callerContext() context.Context
}

func (r *run[T, R]) guard() *Guard                  { return r.g }
func (r *run[T, R]) callerContext() context.Context { return r.parent }

// reentrant reports whether ctx belongs to a teardown of g's client: it is
// the context of one of that teardown's steps, directly or through the
// teardowns of other clients that the steps closed.
func reentrant(ctx context.Context, g *Guard) bool {
	for ctx != nil {
		l, ok := ctx.Value(teardownKey{}).(teardownLink)
		if !ok {
			return false
		}
		if l.guard() == g {
			return true
		}
		ctx = l.callerContext()
	}
	return false
}

// start starts the teardown of x and returns it. It runs no user code: when
// no call is in flight and the refs type takes step by step, it starts the
// first phase itself, each of its units on a goroutine of its own;
// otherwise a goroutine of the run waits for the calls in flight and calls
// Take first (see begin).
func (p *Plan[T, R]) start(ctx context.Context, g *Guard, x *T) *run[T, R] {
	r := &run[T, R]{plan: p, info: p.infoOf(), g: g, x: x, parent: ctx, id: newTeardownID(), on: DeadlinesEnabled(), start: time.Now(), done: make(chan struct{})}
	r.rf = any(&r.refs).(Refs[T])
	if r.info.stepwise {
		r.tk = any(&r.refs).(StepTaker[T])
	}
	r.deadline, r.fromCtx = deadlineOf(ctx, r.start, p.Timeout, r.on)
	r.units = make([]unit, len(p.Steps))
	for i := range r.units {
		r.units[i].step = int32(i)
	}
	r.starting = true
	if r.tk != nil && len(p.Steps) > 0 && (!r.on || g.isIdleNow()) {
		if u := r.startNext(0); u != nil {
			goExec(r, u)
		}
	} else {
		goBegin(r)
	}
	return r
}

// wait waits for the teardown to end, for its deadline (plus Grace), or
// for ctx to be done.
//
// The caller does not yield to let quick steps end before it arms its
// timer: with thousands of callers at once, a yield sends each to the back
// of the run queue, and the median close then returned 1 to 30 ms past its
// deadline instead of under 1 ms (benchmarks/cmd/overshoot, 10,000
// clients), for 3 allocations saved per Close.
func (r *run[T, R]) wait(ctx context.Context) {
	select {
	case <-r.done:
	default:
		if r.on {
			waitDeadline(r.done, ctx, r, r.deadline.Sub(r.start)-r.now())
		} else {
			<-r.done
		}
	}
}

// stepAt returns the index in Plan.Steps of the k-th step in phase order.
func (r *run[T, R]) stepAt(k int) int {
	if r.info.order == nil {
		return k
	}
	return r.info.order[k]
}

// now returns the time since the run started. It reads only the monotonic
// clock.
func (r *run[T, R]) now() time.Duration { return time.Since(r.start) }

// startNext starts the next phase and returns the unit the calling
// goroutine is to run itself, or nil. The calling goroutine holds the right
// to start phases; startNext passes it on. A collection whose elements are
// not listed yet starts as one unit, which lists them (see list).
func (r *run[T, R]) startNext(now time.Duration) *unit {
	r.mu.Lock()
	if r.over {
		r.mu.Unlock()
		r.startLate()
		return nil
	}
	first := r.next
	if first >= len(r.plan.Steps) {
		r.mu.Unlock()
		r.endPhases()
		return nil
	}
	if own := r.startOneLocked(now); own != nil {
		r.mu.Unlock()
		return own
	}
	last := r.phaseEnd(first)
	n := 0
	var own *unit
	r.eachUnit(first, last, func(u *unit) {
		r.startUnit(u, now)
		if own == nil {
			own = u
		}
		n++
	})
	r.next = last
	r.pending = n
	r.starting = false
	r.mu.Unlock()
	if n > 1 {
		r.eachUnit(first, last, func(u *unit) {
			if u != own {
				goExec(r, u)
			}
		})
	}
	return own
}

// startOneLocked starts the next phase if it is one step that is not a
// collection, and returns its unit; otherwise it starts nothing and returns
// nil. The calling goroutine holds the right to start phases, and passes it
// on when it starts the phase. r.mu is held.
func (r *run[T, R]) startOneLocked(now time.Duration) *unit {
	first := r.next
	if r.over || first >= len(r.plan.Steps) || r.phaseEnd(first) != first+1 {
		return nil
	}
	u := &r.units[r.stepAt(first)]
	if r.plan.Steps[u.step].Each {
		return nil
	}
	r.startUnit(u, now)
	r.next = first + 1
	r.pending = 1
	r.starting = false
	return u
}

// phaseEnd returns the position in phase order after the last step of the
// phase that starts at first.
func (r *run[T, R]) phaseEnd(first int) int {
	steps := r.plan.Steps
	phase := steps[r.stepAt(first)].Phase
	last := first + 1
	for last < len(steps) && steps[r.stepAt(last)].Phase == phase {
		last++
	}
	return last
}

// eachUnit calls fn for each unit of the steps at positions first to last:
// the step itself, or the elements of a collection.
func (r *run[T, R]) eachUnit(first, last int, fn func(u *unit)) {
	for k := first; k < last; k++ {
		u := &r.units[r.stepAt(k)]
		if !r.plan.Steps[u.step].Each || !u.listed {
			fn(u)
			continue
		}
		elems := r.elemsOf(u)
		for e := range elems {
			fn(&elems[e])
		}
	}
}

// takesStep reports whether the graceful call of step s starts with
// TakeStep: the refs type takes step by step, and s is not a collection,
// whose fields its listing takes.
func (r *run[T, R]) takesStep(s *Step) bool {
	return r.tk != nil && !s.Each
}

// startUnit moves u from pending to running, at now: its own budget, if
// any, starts (see budgetOf). r.mu is held.
func (r *run[T, R]) startUnit(u *unit, now time.Duration) {
	u.state = unitRunning
	u.start = now
	u.live = 1
	s := &r.plan.Steps[u.step]
	if r.lister(u) {
		return // its elements get budgets of their own
	}
	if s.Force && r.takesStep(s) {
		u.taking.Store(true)
	}
}

// budgetEnd returns when the budget of a unit that started at start ends.
func (r *run[T, R]) budgetEnd(start time.Time, timeout time.Duration, force bool) time.Time {
	end := r.deadline
	if timeout > 0 && start.Add(timeout).Before(end) {
		end = start.Add(timeout)
	}
	if force {
		reserve := max(min(r.deadline.Sub(start)/4, time.Second), 0)
		if f := r.deadline.Add(-reserve); f.Before(end) {
			end = f
		}
	}
	return end
}

// exec runs unit u and then, as long as settling a unit starts a phase,
// one unit of that phase, in the calling goroutine. The loop is here, at
// the bottom of the stack, so that a chain of phases does not deepen it.
func (r *run[T, R]) exec(u *unit) {
	for u != nil {
		if r.lister(u) {
			u = r.list(u)
			continue
		}
		nx, own, now := r.execOne(u)
		u = r.then(u, nx, own, now)
	}
}

// then does what nx says after unit u was settled (or given up) at now,
// and returns the next unit to run, or nil.
func (r *run[T, R]) then(u *unit, nx next, own *unit, now time.Duration) *unit {
	for {
		switch nx {
		case nextStart:
			return r.startNext(now)
		case nextRun:
			return own
		case nextForce:
			nx, own, now = r.runForce(u)
			continue
		}
		return nil
	}
}

// execOne runs unit u's graceful call, records its result, and says what
// to do next. Its frame is small, and so is the stack under a step that
// hangs: a step's goroutine that stays in its first stack costs no copy.
func (r *run[T, R]) execOne(u *unit) (nx next, own *unit, now time.Duration) {
	if b := r.budgetOf(u); b > 0 {
		return r.execBudget(u, b)
	}
	pprof.SetGoroutineLabels(r.info.labels[u.step])
	o := goexited
	defer r.goexited(u, &o)
	o = r.call(r, u, false)
	// Only a failed step asks the context: Err takes the context's lock,
	// which the steps of a phase would contend for.
	nx, own, now = r.finish(u, o, o.err != nil && (r.Err() != nil || r.pastDeadline()), false)
	o.returned = true
	return nx, own, now
}

// goexited runs deferred by the goroutine that called unit u's graceful
// call: if the call did not return, it called runtime.Goexit, and its
// result is recorded here. What comes next then needs a goroutine of its
// own, since this one ends with its deferred calls.
func (r *run[T, R]) goexited(u *unit, o *outcome) {
	if o.returned {
		return
	}
	if nx, own, now := r.finish(u, *o, false, false); nx != nextNone {
		goExec(r, r.then(u, nx, own, now))
	}
}

// execBudget is execOne for a unit with a budget of its own, budget, as
// budgetOf gave it: its context ends at the budget, which calls expire. It
// is kept out of line, off the stack of the common path.
//
//go:noinline
func (r *run[T, R]) execBudget(u *unit, budget time.Duration) (nx next, own *unit, now time.Duration) {
	pprof.SetGoroutineLabels(r.info.labels[u.step])
	end := r.start.Add(u.start + budget)
	ctx, cancel := context.WithDeadlineCause(r, end, errBudget)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { r.expire(u) })
	o := goexited
	defer r.goexited(u, &o)
	o = r.call(ctx, u, false)
	stop()
	gaveUp := o.err != nil && (ctx.Err() != nil || r.pastDeadline())
	overBudget := ctx.Err() != nil && r.Err() == nil
	nx, own, now = r.finish(u, o, gaveUp, overBudget)
	o.returned = true
	return nx, own, now
}

// finish records that unit u's graceful call returned with o, and says what
// to do next. gaveUp says the call failed with its context done;
// overBudget, that its own budget (not the deadline) had run out. A call
// that gave up did not finish its work: the force method, if the step has
// one and it has not been called, is called now.
func (r *run[T, R]) finish(u *unit, o outcome, gaveUp, overBudget bool) (next, *unit, time.Duration) {
	now := r.now()
	r.mu.Lock()
	nx := r.finishLocked(u, o, gaveUp, overBudget, now)
	if nx != nextStart {
		r.mu.Unlock()
		return nx, nil, now
	}
	// u ended its phase: start the next one under the same lock, when it is
	// one plain step (the common case of order=, a phase a step).
	own := r.startOneLocked(now)
	r.mu.Unlock()
	if own == nil {
		return nextStart, nil, now
	}
	return nextRun, own, now
}

// finishLocked is finish under r.mu.
func (r *run[T, R]) finishLocked(u *unit, o outcome, gaveUp, overBudget bool, now time.Duration) next {
	u.live--
	if r.over {
		r.returnedLate(u, o, now)
		return nextNone
	}
	switch u.state {
	case unitRunning:
		if gaveUp && r.on && r.plan.Steps[u.step].Force && !u.forced {
			u.state = unitForcing
			u.forced = true
			u.live++
			return nextForce
		}
		switch {
		case overBudget:
			u.result = StateTimedOut
			r.setErr(u, cmpErr(o.err, errBudget))
		case gaveUp && !o.panicked && r.expiredWith(o.err):
			// Cut off by the deadline, and said so: a wait that ran out of
			// time, not a failure.
			u.result = StateTimedOut
			r.setErr(u, o.err)
		default:
			u.result = o.state()
			r.setErr(u, o.err)
		}
	case unitOverdue:
		u.result = StateTimedOut
		r.setErr(u, cmpErr(o.err, errBudget))
	case unitDone: // a force or its budget settled it; its call returns now
		if u.live == 0 {
			r.lingering--
			if r.lingering == 0 && r.phasesDone && !r.dropped {
				r.dropped = true
				goDropAsync(r)
			}
			if u.result == StateTimedOut && r.errOf(u) == errBudget && o.err != nil {
				// Timed out Grace after its budget; it returned before
				// the caller did: its own error says more than ours.
				u.dur = now - u.start
				r.setErr(u, o.err)
			}
		}
		return nextNone
	default: // forcing: the force decides
		return nextNone
	}
	u.dur = now - u.start
	return r.settle(u)
}

// pastDeadline reports whether the deadline has passed by the clock,
// whether or not the timer that ends the steps' context has run yet: a step
// that returns its deadline's error a moment after the deadline, before
// that timer's goroutine has run (a client closed by this one, whose own
// timer fired first), was cut off by it, not failed.
func (r *run[T, R]) pastDeadline() bool {
	d, ok := r.Deadline()
	return ok && !time.Now().Before(d)
}

// expiredWith reports whether err, returned by a step whose context is
// done, is that context's error or cause: the step stopped because its
// time ran out.
func (r *run[T, R]) expiredWith(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// A cancellation by the caller is no time running out, unless its
	// cause says so.
	c := context.Cause(r)
	return c != nil && c != context.Canceled && errors.Is(err, c)
}

// cmpErr returns err, or def when err is nil.
func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// expire runs when unit u's own budget has run out before the deadline. It
// calls the unit's force method, if it has one; otherwise it gives the
// step Grace to return by itself before its phase stops waiting for it.
func (r *run[T, R]) expire(u *unit) {
	r.mu.Lock()
	if u.state != unitRunning || r.over || r.Err() != nil {
		r.mu.Unlock()
		return
	}
	if r.plan.Steps[u.step].Force && !u.taking.Load() {
		u.state = unitForcing
		u.forced = true
		u.live++
		r.mu.Unlock()
		r.exec(r.then(u, nextForce, nil, 0))
		return
	}
	u.state = unitOverdue
	r.mu.Unlock()
	time.AfterFunc(Grace, func() { r.timeOut(u) })
}

// timeOut settles unit u, whose budget ran out Grace ago, if it has not
// returned by now.
func (r *run[T, R]) timeOut(u *unit) {
	r.mu.Lock()
	if u.state != unitOverdue || r.over {
		r.mu.Unlock()
		return
	}
	now := r.now()
	u.result, u.dur = StateTimedOut, now-u.start
	r.setErr(u, errBudget)
	nx := r.settle(u)
	r.mu.Unlock()
	r.exec(r.then(u, nx, nil, now))
}

// runForce calls unit u's force method, records its outcome, and says
// what to do next. It is kept out of line, off the stack of the common
// path.
//
//go:noinline
func (r *run[T, R]) runForce(u *unit) (nx next, own *unit, now time.Duration) {
	pprof.SetGoroutineLabels(r.info.labels[u.step])
	o := goexited
	completed := false
	defer func() {
		nx, now = r.forced(u, o)
		if !completed && nx != nextNone {
			goExec(r, r.then(u, nx, nil, now)) // the force called runtime.Goexit
			nx = nextNone
		}
	}()
	o = r.call(r, u, true)
	completed = true
	return nx, nil, now
}

// forced records the outcome of unit u's force method and settles it.
func (r *run[T, R]) forced(u *unit, o outcome) (next, time.Duration) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	u.live--
	if r.over {
		r.returnedLate(u, o, now)
		return nextNone, now
	}
	if u.state != unitForcing {
		return nextNone, now
	}
	if o.err == nil {
		u.result = StateForced
		r.setErr(u, nil)
	} else {
		u.result = o.state()
		r.setErr(u, fmt.Errorf("force: %w", o.err))
	}
	u.dur = now - u.start
	return r.settle(u), now
}

// settle marks unit u done: its phase no longer waits for it. It returns
// nextStart when u was the last unit of its phase: the calling goroutine
// then holds the right to start the next phase. r.mu is held.
func (r *run[T, R]) settle(u *unit) next {
	u.state = unitDone
	if u.result.failed() {
		r.failed++
	}
	if u.live > 0 {
		r.lingering++
	}
	r.pending--
	if r.pending > 0 || r.starting {
		return nextNone
	}
	r.starting = true
	return nextStart
}
