package runtime

import (
	"runtime/pprof"
	"time"
)

// After the deadline: the caller has returned, and the run's own
// goroutines force the steps stuck at the deadline, start those it came
// before (late), record what returns, and list what still runs for
// Abandoned.

// late runs on a goroutine of its own once the caller has returned at the
// deadline: it calls the force method of the steps stuck at the deadline,
// and, if it holds the right to start phases, starts the rest late.
func (r *run[T, R]) late(start bool) {
	if r.on && r.info.force {
		var forces []*unit
		r.mu.Lock()
		r.forEachUnit(func(u *unit) {
			if r.plan.Steps[u.step].Force {
				forces = r.forceLate(forces, u)
			}
		})
		r.mu.Unlock()
		for _, u := range forces {
			goExecLate(r, u, true)
		}
	}
	if start {
		r.startLate()
	}
}

// forceLate appends u to forces, to have its force method called, if it
// was abandoned before its force was called. r.mu is held.
func (r *run[T, R]) forceLate(forces []*unit, u *unit) []*unit {
	if u.state != unitAbandoned || u.forced || u.taking.Load() || r.lister(u) {
		return forces
	}
	u.forced = true
	u.live++
	return append(forces, u)
}

// startLate starts, with the expired context, every unit not started by
// the deadline, each on a goroutine of its own, and its force method
// alongside it, except the steps marked NoLateStart, which never start. A
// collection not listed yet is listed first, on a goroutine of its own. The
// calling goroutine holds the right to start phases.
func (r *run[T, R]) startLate() {
	steps := r.plan.Steps
	var started []*unit
	r.mu.Lock()
	now := r.now()
	for ; r.next < len(steps); r.next++ {
		u := &r.units[r.stepAt(r.next)]
		s := &steps[u.step]
		u.state = unitLate
		u.start = now
		if s.NoLateStart {
			continue
		}
		u.live = 1
		taking := s.Force && r.takesStep(s)
		u.taking.Store(taking)
		if r.on && s.Force && !s.Each && !taking {
			u.forced = true
			u.live++
		}
		r.liveUnits++
		started = append(started, u)
	}
	r.starting = false
	r.finishLate()
	r.mu.Unlock()
	for _, u := range started {
		if r.lister(u) {
			goExec(r, u)
			continue
		}
		goExecLate(r, u, false)
		if u.forced {
			goExecLate(r, u, true)
		}
	}
}

// finishLate records that every unit has been started after the deadline,
// and leaves the set behind Abandoned if none runs. r.mu is held.
func (r *run[T, R]) finishLate() {
	r.lateDone = true
	if r.liveUnits == 0 && r.registered {
		r.registered = false
		unregisterAbandoned(r)
	}
	if r.dropDue() {
		goDropAsync(r)
	}
}

// execLate runs unit u's graceful call, or its force method, after the
// deadline, and records that it returned.
func (r *run[T, R]) execLate(u *unit, force bool) {
	pprof.SetGoroutineLabels(r.info.labels[u.step])
	o := goexited
	defer func() {
		now := r.now()
		r.mu.Lock()
		u.live--
		r.returnedLate(u, o, now)
		r.mu.Unlock()
	}()
	o = r.call(r, u, force)
}

// returnedLate records that a call of unit u returned with o after the
// deadline. When the last call of an abandoned unit returns, the delivery
// is told; when no call of the run is left, it leaves the set behind
// Abandoned. r.mu is held.
func (r *run[T, R]) returnedLate(u *unit, o outcome, now time.Duration) {
	if u.live > 0 {
		return
	}
	r.liveUnits--
	if u.state == unitAbandoned {
		r.deliverReturned(u, o, now)
	}
	r.lateSettled()
}

// deliverReturned tells the delivery that abandoned unit u returned with
// o at now. The event is built where it is kept, on the heap: the goroutine
// that returns from a step built nothing big on its stack. r.mu is held.
//
//go:noinline
func (r *run[T, R]) deliverReturned(u *unit, o outcome, now time.Duration) {
	rs := &returnedStep{ctx: r.parent, client: r.plan.Type, name: func() string { return r.name(u) }}
	rs.step = r.stepReport(u)
	rs.step.End, rs.step.State, rs.step.Err = r.start.Add(now), o.state(), o.err
	deliver(event{returned: rs})
}

// appendAbandoned appends the run's units that still run after the
// deadline: abandoned ones, and late ones that have run for Grace.
func (r *run[T, R]) appendAbandoned(list []AbandonedTask, now time.Time) []AbandonedTask {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.forEachListed(func(u *unit) {
		started := r.start.Add(u.start)
		switch {
		case u.live == 0 && u.state != unitPending:
			return
		case u.state == unitPending, u.state == unitLate:
			if now.Sub(r.start.Add(r.overAt)) < Grace {
				return
			}
			if u.state == unitPending {
				started = r.start.Add(r.overAt) // not started yet: due since the deadline
			}
		}
		list = append(list, AbandonedTask{Teardown: r.id, Client: r.plan.Type, Step: r.name(u), Started: started, Stack: r.stack(u.step)})
	})
	return list
}
