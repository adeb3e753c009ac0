package runtime

import (
	"context"
	"time"
)

// The caller's result: at the deadline (conclude), or once every phase has
// ended before it (concludeInTime), and the Report the delivery builds
// afterwards. Both read the units under the run's lock and call no user
// code.

// conclude builds the caller's result, once every phase has ended or the
// deadline (or ctx) has come.
//
// Its frames are kept small (the work is split into functions that return
// before the next is called): it runs on the caller's stack, where a
// goroutine that outgrows its first stack at the deadline pays a copy on
// its way out, and with thousands of clients closing at once, the copies
// of all of them add up to milliseconds of delay.
func (r *run[T, R]) conclude() error {
	r.mu.Lock()
	var err error
	if r.ended {
		abandoned := r.abandonLingering()
		r.mu.Unlock()
		err = r.concludeInTime(abandoned)
	} else {
		err = r.concludeOver()
	}
	r.release()
	return err
}

// concludeOver builds the caller's result at the deadline (or when ctx is
// done), and hands the rest to the run's own goroutines. r.mu is held; it
// releases it.
func (r *run[T, R]) concludeOver() error {
	now := r.now()
	r.over = true
	r.overNow.Store(true)
	r.overAt = now
	cause := r.cause()
	results := r.abandonAll(now, cause)
	if r.liveUnits > 0 || r.starting || r.next < len(r.units) {
		r.registered = true
		registerAbandoned(r)
	}
	// The goroutine that holds the right to start phases starts the rest
	// late. If none holds it, a goroutine of the run's own takes it, when
	// there is anything left to start; so it does when a stuck step has a
	// force method to call. References are dropped once every step started
	// has returned: see dropDue.
	start := !r.starting && r.next < len(r.plan.Steps)
	if !r.starting && !start {
		r.finishLate()
	}
	r.starting = r.starting || start
	late := start || r.on && r.info.force
	probe := r.liveUnits > 0
	r.mu.Unlock()
	if r.on && !r.g.isIdleNow() {
		results = append(results, TaskResult{Name: inFlightStep, State: StateAbandoned, Duration: now, Err: cause})
	}
	// Every step may have returned, and nothing failed, just as the
	// deadline came: that is success, not a failure that names nothing.
	var err error
	if len(results) > 0 {
		err = &CleanupError{Type: r.plan.Type, Tasks: results}
	}
	r.err, r.end = err, now
	if probe {
		r.probeStacks()
	}
	deliver(event{ended: r})
	if late {
		goLate(r, start)
	}
	return err
}

// abandonAll makes every unit's result final at the deadline, and returns
// the results of those that did not succeed, the failures of Refs methods,
// and Drop when it has not returned, with room for one more (the calls in
// flight). r.mu is held.
//
//go:noinline
func (r *run[T, R]) abandonAll(now time.Duration, cause error) []TaskResult {
	var results []TaskResult
	if r.aux != nil && r.aux.results != nil {
		results = r.aux.results // room for every unit
	} else {
		results = make([]TaskResult, 0, len(r.units)+len(r.extra())+1)
	}
	// The errors of the units abandoned below get their room here, and
	// abandon only stores them: calling setErr from abandon overflowed the
	// caller's first stack at the deadline (cmd/overshoot, 10,000 clients:
	// runtime.newstack went from 6-13% to 14-18% of the CPU).
	if r.errs == nil {
		r.errs = make([]error, len(r.units))
	}
	// The loop is forEachUnit's, written out: with forEachUnit's closure
	// between this frame and abandon's, the caller's first stack
	// overflowed at abandon in cmd/overshoot (5% of its CPU went to
	// copying stacks again).
	for i := range r.units {
		u := &r.units[i]
		if !r.plan.Steps[i].Each || !u.listed || u.whole {
			results = r.abandon(results, u, now, cause)
			continue
		}
		elems := r.elemsOf(u)
		if r.aux.elemErrs == nil {
			r.aux.elemErrs = make([][]error, len(r.units))
		}
		if r.aux.elemErrs[i] == nil {
			r.aux.elemErrs[i] = make([]error, len(elems))
		}
		for e := range elems {
			results = r.abandon(results, &elems[e], now, cause)
		}
	}
	results = append(results, r.extra()...)
	if r.dropping {
		// Every step returned, but Drop, user code, has not: the result
		// names it rather than no step at all.
		results = append(results, TaskResult{Name: dropStep, State: StateAbandoned, Duration: now, Err: cause})
	}
	return results
}

// abandon makes unit u's result final at the deadline and appends it to
// results if it did not succeed. r.mu is held.
func (r *run[T, R]) abandon(results []TaskResult, u *unit, now time.Duration, cause error) []TaskResult {
	if r.lister(u) {
		u.whole = true // its listing, if it ends, comes too late for the report
	}
	switch u.state {
	case unitPending:
		return append(results, TaskResult{Name: r.name(u), State: StateNotStarted, Err: cause})
	case unitDone:
		if u.live > 0 {
			r.liveUnits++
		}
		if u.result.failed() {
			results = append(results, r.taskResult(u))
		}
		return results
	}
	u.state = unitAbandoned
	u.result, u.dur = StateAbandoned, now-u.start
	*r.errRef(u) = cause // abandonAll made room: no call that allocates, on the caller's stack
	r.liveUnits++
	return append(results, TaskResult{Name: r.name(u), State: StateAbandoned, Duration: u.dur, Err: cause})
}

// name returns unit u's name: its step's, or its element's, as named when
// the collection was listed.
func (r *run[T, R]) name(u *unit) string {
	if r.isElem(u) {
		return r.aux.names[u.step][u.elem]
	}
	return r.plan.Steps[u.step].Name
}

// lister reports whether u is a collection step's own unit, whose elements
// are not listed yet: running it lists them.
func (r *run[T, R]) lister(u *unit) bool {
	return r.plan.Steps[u.step].Each && u == &r.units[u.step] && !u.listed
}

// forEachUnit calls fn for each unit in the order of Plan.Steps: a step's
// own unit, or each element of a listed collection. A collection whose
// elements were never listed is passed as its step's unit, still pending,
// so that it is reported as one step. r.mu is held, or no unit changes
// any more (every phase has ended).
func (r *run[T, R]) forEachUnit(fn func(u *unit)) {
	for i := range r.units {
		u := &r.units[i]
		if !r.plan.Steps[i].Each || !u.listed || u.whole {
			fn(u)
			continue
		}
		elems := r.elemsOf(u)
		for e := range elems {
			fn(&elems[e])
		}
	}
}

// forEachListed is forEachUnit, but for a collection reported as one step
// whose elements were listed later: it passes the elements, which run.
func (r *run[T, R]) forEachListed(fn func(u *unit)) {
	for i := range r.units {
		u := &r.units[i]
		if !r.plan.Steps[i].Each || !u.listed {
			fn(u)
			continue
		}
		elems := r.elemsOf(u)
		for e := range elems {
			fn(&elems[e])
		}
	}
}

// cause returns why the run is over: the deadline (errDeadline), or the
// cause with which the caller's context was cancelled.
func (r *run[T, R]) cause() error {
	var c error
	if b := r.ctxp.Load(); b != nil {
		c = context.Cause(b.ctx)
	}
	if c == nil && r.parent.Err() != nil {
		c = context.Cause(r.parent)
	}
	if c == nil || c == context.DeadlineExceeded {
		return errDeadline
	}
	return c
}

// concludeInTime builds the caller's result when every phase ended before
// the deadline; abandoned says abandonLingering abandoned some units.
func (r *run[T, R]) concludeInTime(abandoned bool) error {
	var results []TaskResult
	if r.failed > 0 {
		r.forEachUnit(func(u *unit) {
			if u.result.failed() {
				results = append(results, r.taskResult(u))
			}
		})
	}
	results = append(results, r.extra()...)
	if r.on && (r.dropAtLeave || !r.g.isIdleNow()) {
		select {
		case <-r.g.idleChan():
		case <-r.Done():
		}
		if !r.g.isIdleNow() {
			results = append(results, TaskResult{Name: inFlightStep, State: StateAbandoned, Duration: r.now(), Err: r.cause()})
		}
	}
	var err error
	if len(results) > 0 {
		err = &CleanupError{Type: r.plan.Type, Tasks: results}
	}
	if err != nil || !quiet() {
		r.err, r.end = err, r.now()
		if abandoned {
			r.probeStacks()
		}
		deliver(event{ended: r})
	}
	return err
}

// probeStacks finds, on a goroutine of its own, where the run's abandoned
// steps are stuck; the Report waits for it. r.end is set.
func (r *run[T, R]) probeStacks() {
	r.probed = startProbe(r.start.Add(r.end), r.recordStacks)
}

// recordStacks keeps the stacks of the run's steps found in a profile.
func (r *run[T, R]) recordStacks(stacks map[stepKey][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range r.plan.Steps {
		if frames, ok := stacks[stepKey{r.plan.Type, s.Name}]; ok {
			aux := r.more()
			if aux.stacks == nil {
				aux.stacks = make(map[int32][]string)
			}
			aux.stacks[int32(i)] = frames
		}
	}
}

// abandonLingering runs when the last phase ended before the deadline while
// the graceful calls of some units, settled by their budget, still run: they
// are abandoned as the caller returns. A unit that timed out is reported as
// abandoned; one that was forced keeps its result. Either is listed by
// Abandoned until its call returns. r.mu is held.
func (r *run[T, R]) abandonLingering() bool {
	if r.lingering == 0 {
		return false
	}
	now := r.now()
	r.over, r.overAt, r.lateDone = true, now, true
	r.overNow.Store(true)
	abandon := func(u *unit) {
		if u.live == 0 {
			return
		}
		r.liveUnits++
		if u.result == StateTimedOut {
			u.state = unitAbandoned
			u.result, u.dur = StateAbandoned, now-u.start
		}
	}
	r.forEachUnit(abandon)
	if r.liveUnits > 0 {
		r.registered = true
		registerAbandoned(r)
	}
	return r.liveUnits > 0
}

// taskResult returns unit u's result. r.mu is held, or no unit changes any
// more.
func (r *run[T, R]) taskResult(u *unit) TaskResult {
	return TaskResult{Name: r.name(u), State: u.result, Duration: u.dur, Err: r.errOf(u)}
}

// report builds the run's Report, on the delivery goroutine.
func (r *run[T, R]) report() Report {
	if r.probed != nil {
		<-r.probed
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{ID: r.id, Context: r.parent, Client: r.plan.Type, Start: r.start, End: r.start.Add(r.end), Err: r.err}
	rep.Deadline, _ = r.Deadline()
	r.forEachUnit(func(u *unit) {
		s := r.stepReport(u)
		s.Name, s.State, s.Err = r.name(u), u.result, r.errOf(u)
		switch u.state {
		case unitPending, unitLate:
			s.State, s.Err = StateNotStarted, r.cause()
		case unitAbandoned:
			s.Stack = r.stack(u.step)
			fallthrough
		default:
			s.End = s.Start.Add(u.dur)
		}
		rep.Steps = append(rep.Steps, s)
	})
	for _, t := range r.extra() {
		rep.Steps = append(rep.Steps, StepReport{Teardown: r.id, Name: t.Name, Field: t.Name, Index: -1, State: t.State, End: rep.End, Err: t.Err})
	}
	return rep
}

// stepReport returns what a StepReport says of unit u apart from its name
// and outcome: its teardown, field, index, phase, start, budget and whether
// it was forced. r.mu is held.
func (r *run[T, R]) stepReport(u *unit) StepReport {
	st := &r.plan.Steps[u.step]
	s := StepReport{Teardown: r.id, Field: st.Name, Index: -1, Phase: st.Phase, Forced: u.forced}
	if r.isElem(u) {
		s.Index = int(u.elem)
	}
	if u.state == unitPending || u.state == unitLate {
		return s
	}
	s.Start = r.start.Add(u.start)
	s.Budget = r.budgetOf(u)
	if _, ok := r.Deadline(); s.Budget == 0 && ok {
		s.Budget = r.deadline.Sub(s.Start)
	}
	return s
}
