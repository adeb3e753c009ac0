package runtime

import (
	"context"
	"runtime/pprof"
	"strconv"
	"time"
)

// The calls of a run into its refs type: Take, TakeStep, Len, Name, Drop.
// They are user code, like the steps: each runs on a goroutine of the run,
// never on the caller's, and a panic or a runtime.Goexit in one is
// recovered and reported, as the failure of its step (TakeStep, Len) or of
// the teardown (Take, Drop, Name), named after the method.

// The names under which a failure of a Refs method that belongs to no step
// is reported.
const (
	takeStep = "Refs.Take"
	dropStep = "Refs.Drop"
	nameStep = "Refs.Name"
)

// begin is the run's first goroutine when the caller could not start the
// first phase itself: it waits for calls in flight, takes the references
// with Refs.Take (unless the refs type takes them step by step), starts the
// first phase and runs one of its units.
func (r *run[T, R]) begin() {
	if r.on && !r.g.isIdleNow() {
		r.waitInFlight()
	}
	if r.tk == nil && !r.take() {
		return
	}
	r.exec(r.startNext(r.now()))
}

// waitInFlight waits for the calls in flight, for at most half the time to
// the deadline. It is kept out of line: begin's frame stays under the step
// it runs.
//
//go:noinline
func (r *run[T, R]) waitInFlight() {
	drain := time.NewTimer(r.deadline.Sub(r.start) / 2)
	defer drain.Stop()
	select {
	case <-r.g.idleChan():
	case <-drain.C:
	case <-r.Done():
	}
}

// take calls Refs.Take. It reports whether the calling goroutine goes on:
// when Take calls runtime.Goexit, the rest of begin runs on a new
// goroutine. A Take that fails still lets the steps run, with what it
// took: a nil resource is skipped.
func (r *run[T, R]) take() (ok bool) {
	o := goexited
	defer func() {
		if !ok {
			r.refsFailed(takeStep, o)
			goExec(r, r.startNext(r.now()))
		}
	}()
	o = protect(func() error { r.rf.Take(r.x); return nil })
	r.refsFailed(takeStep, o)
	return true
}

// call runs unit u's graceful call with ctx, or its force method when
// force is set, and turns a panic into a *PanicError, as protect does. When
// the refs type takes step by step, the graceful call takes the step's
// fields first (TakeStep), on this goroutine and within the unit's budget:
// a lock= lock held by a stuck call delays only this step.
//
// It is protect and the call in one frame, with nothing between it and
// the step: the stack under a step that hangs is small, so that its
// goroutine does not outgrow its first stack (and pay a copy) before it
// blocks. If the call calls runtime.Goexit, call does not return: callers
// record their result in a deferred call, starting from goexited.
func (r *run[T, R]) call(ctx context.Context, u *unit, force bool) (o outcome) {
	returned := false
	defer func() {
		if v := recover(); v != nil || !returned {
			o = panicked(v)
		}
	}()
	if !force && r.takesStep(&r.plan.Steps[u.step]) {
		r.tk.TakeStep(r.x, int(u.step))
		if u.taking.Load() {
			r.took(u)
		}
	}
	err := r.rf.Close(ctx, int(u.step), int(u.elem), force)
	returned = true
	return outcome{err: err}
}

// took records that unit u's TakeStep returned. When the deadline came
// first, the force method of a step that has one is called now, alongside
// its graceful call: before, it had nothing to force.
func (r *run[T, R]) took(u *unit) {
	u.taking.Store(false)
	// Dekker's pairing with conclude, which sets overNow before late asks
	// whether TakeStep has returned: one of the two sees the other, and
	// forced, under the lock, keeps them from forcing twice.
	if !r.overNow.Load() {
		return
	}
	r.mu.Lock()
	force := r.over && r.on && r.plan.Steps[u.step].Force && !u.forced &&
		(u.state == unitAbandoned || u.state == unitLate)
	if force {
		u.forced = true
		u.live++
	}
	r.mu.Unlock()
	if force {
		goExecLate(r, u, true)
	}
}

// list runs unit u, a collection step whose elements are not listed yet:
// it takes the step's fields (TakeStep, when the refs type takes step by
// step), counts the elements (Len) and names them (Name), then starts them
// and returns the one the calling goroutine runs. A panic in TakeStep or
// Len fails the step as one; a panic in Name fails the teardown, and the
// element is named after the step and its index.
func (r *run[T, R]) list(u *unit) *unit {
	pprof.SetGoroutineLabels(r.info.labels[u.step])
	var names []string
	var nameErr error
	o := goexited
	defer r.goexited(u, &o)
	o = protect(func() error {
		step := int(u.step)
		if r.tk != nil {
			r.tk.TakeStep(r.x, step)
		}
		names = make([]string, max(r.rf.Len(step), 0))
		for e := range names {
			names[e] = r.elemName(step, e, &nameErr)
		}
		return nil
	})
	if o.err != nil {
		nx, own, now := r.finish(u, o, false, false)
		o.returned = true
		return r.then(u, nx, own, now)
	}
	o.returned = true
	return r.install(u, names, nameErr)
}

// elemName returns the name of element elem of the collection step; if
// Name panics, the step's name and the index, and *failed records the
// first such panic.
func (r *run[T, R]) elemName(step, elem int, failed *error) (name string) {
	defer func() {
		if v := recover(); v != nil {
			name = r.plan.Steps[step].Name + "[" + strconv.Itoa(elem) + "]"
			if *failed == nil {
				*failed = &PanicError{Value: v}
			}
		}
	}()
	return r.rf.Name(step, elem)
}

// install sets the elements of u, a collection step just listed, and
// starts them: in its phase, when the deadline has not come, returning the
// one the calling goroutine runs; otherwise late, unless the step is
// NoLateStart, and not in the report, which lists the step as one.
func (r *run[T, R]) install(u *unit, names []string, nameErr error) *unit {
	elems := make([]unit, len(names))
	for e := range elems {
		elems[e] = unit{step: u.step, elem: int32(e)}
	}
	r.mu.Lock()
	total := len(r.units) + r.elems + len(elems) + len(r.extra()) + 2
	r.mu.Unlock()
	// Room for every result, so that the caller does not allocate it at
	// the deadline.
	results := make([]TaskResult, 0, total)
	r.mu.Lock()
	now := r.now()
	aux := r.more()
	if aux.names == nil {
		aux.names = make([][]string, len(r.units))
		aux.elems = make([][]unit, len(r.units))
	}
	aux.elems[u.step], aux.names[u.step], u.listed = elems, names, true
	u.live--
	if nameErr != nil {
		r.refsFailedLocked(r.plan.Steps[u.step].Name+": "+nameStep, outcome{err: nameErr, panicked: true})
	}
	if r.over {
		r.liveUnits--
		var started []*unit
		if !r.plan.Steps[u.step].NoLateStart {
			for e := range elems {
				el := &elems[e]
				el.state, el.start, el.live = unitLate, now, 1
				if r.on && r.plan.Steps[u.step].Force {
					el.forced = true
					el.live++
				}
				r.liveUnits++
				started = append(started, el)
			}
		}
		r.lateSettled()
		r.mu.Unlock()
		for _, el := range started {
			goExecLate(r, el, false)
			if el.forced {
				goExecLate(r, el, true)
			}
		}
		return nil
	}
	r.elems += len(elems)
	aux.results = results
	for e := range elems {
		r.startUnit(&elems[e], now)
	}
	u.state = unitDone
	r.pending += len(elems) - 1
	nx := nextNone
	if len(elems) == 0 && r.pending == 0 && !r.starting {
		r.starting = true
		nx = nextStart
	}
	r.mu.Unlock()
	if len(elems) == 0 {
		return r.then(u, nx, nil, now)
	}
	for e := 1; e < len(elems); e++ {
		goExec(r, &elems[e])
	}
	return &elems[0]
}

// endPhases runs on the goroutine that holds the right to start phases,
// once the last phase has ended, and lets the caller conclude. If every
// step has returned, it drops the references, once no call is in flight:
// without lock= locks, before the caller's result when no call is in flight
// now (Drop then only sets fields to zero); with them, on a goroutine of
// its own, since anyone may hold the lock: the result never waits for it.
func (r *run[T, R]) endPhases() {
	r.mu.Lock()
	r.phasesDone = true
	drop := !r.dropped && r.lingering == 0
	r.dropped = r.dropped || drop
	now := drop && !r.over && !r.plan.Locked && r.g.isIdleNow()
	r.dropping = now
	r.mu.Unlock()
	switch {
	case now:
		r.dropNow()
		return
	case drop && !r.plan.Locked:
		// A call is in flight: Drop runs at the last Leave, which the
		// caller waits for (dropAtLeave), within the deadline.
		r.dropAtLeave = !r.g.isIdleNow()
		r.dropAsync()
	case drop:
		goDropAsync(r)
	}
	r.closeDone()
}

// closeDone gives up the right to start phases, and lets the caller
// conclude, or, if it has already, records that nothing is left to start.
func (r *run[T, R]) closeDone() {
	r.mu.Lock()
	r.closeDoneLocked()
	r.mu.Unlock()
}

// closeDoneLocked is closeDone under r.mu.
func (r *run[T, R]) closeDoneLocked() {
	r.starting = false
	if !r.over {
		r.ended = true
		close(r.done)
	} else {
		r.finishLate()
	}
}

// dropNow calls Refs.Drop before the caller's result, records its outcome
// and lets the caller conclude, in one critical section. When Drop calls
// runtime.Goexit, the goroutine's deferred call does that.
func (r *run[T, R]) dropNow() {
	o := goexited
	defer func() {
		r.mu.Lock()
		r.dropping = false
		r.refsFailedLocked(dropStep, o)
		r.closeDoneLocked()
		r.mu.Unlock()
	}()
	o = protect(func() error { r.rf.Drop(r.x); return nil })
}

// dropDue reports whether the references are to be dropped now that the
// run is over: every unit has been started (or will never be) and no call
// of the run is left. It marks them dropped. r.mu is held.
func (r *run[T, R]) dropDue() bool {
	if r.dropped || !r.lateDone || r.starting || r.liveUnits > 0 || r.next < len(r.plan.Steps) {
		return false
	}
	r.dropped = true
	return true
}

// dropAsync drops x's references on the calling goroutine, one of the
// run's and never the caller's, once no call is in flight: now, or at the
// last Leave. A Drop that takes lock= locks runs then on a goroutine of its
// own, since Leave's caller may hold one of them.
func (r *run[T, R]) dropAsync() {
	if r.g.isIdleNow() {
		r.dropLate()
		return
	}
	if r.plan.Locked {
		r.g.dropWhenIdle(func() { goDropLate(r) })
		return
	}
	r.g.dropWhenIdle(r.dropLate)
}

// dropLate calls Refs.Drop after the caller's result: a failure is logged.
func (r *run[T, R]) dropLate() {
	o := goexited
	defer func() {
		if o.err != nil {
			r.refsFailedLate(dropStep, o)
		}
	}()
	o = protect(func() error { r.rf.Drop(r.x); return nil })
}

// refsFailed records the failure, if o is one, of the Refs method name.
func (r *run[T, R]) refsFailed(name string, o outcome) {
	if o.err == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refsFailedLocked(name, o)
}

// refsFailedLocked records the failure, if o is one, of the Refs method
// name: in the caller's result if it has not concluded yet, and otherwise
// in a log record. r.mu is held.
func (r *run[T, R]) refsFailedLocked(name string, o outcome) {
	if o.err == nil {
		return
	}
	if !r.over {
		aux := r.more()
		aux.extra = append(aux.extra, TaskResult{Name: name, State: o.state(), Err: o.err})
		return
	}
	r.refsFailedLate(name, o)
}

// refsFailedLate logs the failure of the Refs method name after the
// caller's result.
func (r *run[T, R]) refsFailedLate(name string, o outcome) {
	deliver(event{failed: &refsFailure{
		ctx:    r.parent,
		step:   StepReport{Teardown: r.id, Name: name, Field: name, Index: -1, State: o.state(), Err: o.err},
		client: r.plan.Type,
	}})
}

// lateSettled runs when a call of the run returned, or a collection was
// listed, after the caller returned at the deadline: when no call of the
// run is left, it leaves the set behind Abandoned, and the references are
// dropped. r.mu is held.
func (r *run[T, R]) lateSettled() {
	if r.liveUnits == 0 && r.lateDone && r.registered {
		r.registered = false
		unregisterAbandoned(r)
	}
	if r.dropDue() {
		goDropAsync(r)
	}
}
