package runtime

import (
	"context"
	"math"
	"runtime/pprof"
	"sync"
	"time"
)

// A Manager runs named teardowns concurrently under one deadline and
// collects their results: errgroup with a deadline that it keeps.
//
//	m := runtime.NewManager(ctx, 5*time.Second)
//	m.Go("http", srv.Shutdown)
//	m.Go("db", func(ctx context.Context) error { return db.Close() })
//	err := m.Wait() // returns by the deadline, whatever the teardowns do
//
// A Manager must be created with [NewManager]. Its methods are safe for
// concurrent use.
type Manager struct {
	ctx      context.Context // the tasks' context
	parent   context.Context // the context NewManager was given
	cancel   context.CancelFunc
	deadline time.Time // zero when deadlines are off or the timeout saturated
	on       bool      // deadlines are enabled
	name     string
	id       uint64 // the teardown's ID: Report.ID

	start time.Time

	mu    sync.Mutex
	tasks []*managedTask
	// running counts tasks that have not returned.
	running int
	// idle, when not nil, is closed when running drops to zero.
	idle chan struct{}
	// over says Wait returned with tasks still running: they are
	// abandoned, and abandoned counts those that still run.
	over       bool
	abandoned  int
	registered bool // in the set behind Abandoned
	// probed is closed once the stacks of the tasks the first Wait
	// abandoned are known (see probe).
	probed chan struct{}
	// waited says Wait has returned; err and end are what and when.
	waited bool
	err    error
	end    time.Time
}

// managedTask is one task started by Manager.Go.
type managedTask struct {
	stack    []string // where it was stuck, once abandoned
	result   TaskResult
	start    time.Time
	end      time.Time
	returned bool
}

// An Option configures a Manager.
type Option func(*Manager)

// WithName names what the Manager tears down, for its [CleanupError], its
// log events and [Abandoned]. The default is "runtime.Manager".
func WithName(name string) Option {
	return func(m *Manager) { m.name = name }
}

// NewManager returns a Manager whose deadline is the earlier of ctx's
// deadline and now plus timeout. Tasks started by [Manager.Go] get a context
// that carries that deadline and is also cancelled with ctx.
//
// When deadlines are off (CLEANUPGEN_DEADLINES=off, [SetDeadlines]), the
// Manager has no deadline and ignores ctx's cancellation: Wait waits for
// every task.
func NewManager(ctx context.Context, timeout time.Duration, opts ...Option) *Manager {
	m := &Manager{name: "runtime.Manager", parent: ctx, id: newTeardownID(), start: time.Now(), on: DeadlinesEnabled()}
	for _, opt := range opts {
		opt(m)
	}
	deadline, fromCtx := deadlineOf(ctx, m.start, timeout, m.on)
	m.ctx, m.cancel = teardownContext(ctx, m.start, deadline, fromCtx, m.on)
	if !endless(m.start, deadline) {
		m.deadline = deadline
	}
	m.ctx = context.WithValue(m.ctx, teardownIDKey{}, m.id)
	return m
}

// Deadline returns the time by which Wait returns; the zero Time when
// deadlines are off or the timeout saturated (math.MaxInt64: no deadline).
func (m *Manager) Deadline() time.Time {
	return m.deadline
}

// TimeRemaining returns the time left until the deadline: zero once it has
// passed, and the largest Duration when there is no deadline.
func (m *Manager) TimeRemaining() time.Duration {
	if m.deadline.IsZero() {
		return math.MaxInt64
	}
	return max(time.Until(m.deadline), 0)
}

// Go starts fn in a new goroutine, under the name name, with the Manager's
// context. A panic in fn is recovered and becomes its error, a *[PanicError].
// The goroutine carries the pprof labels cleanup.client (the Manager's
// name) and cleanup.step (name). Go may be called after Wait; fn then gets a
// context that is already done.
func (m *Manager) Go(name string, fn func(ctx context.Context) error) {
	t := &managedTask{result: TaskResult{Name: name}, start: time.Now()}
	m.mu.Lock()
	m.tasks = append(m.tasks, t)
	m.running++
	m.mu.Unlock()
	go m.run(t, fn)
}

func (m *Manager) run(t *managedTask, fn func(context.Context) error) {
	pprof.SetGoroutineLabels(taskLabels(m.name, t.result.Name))
	o := goexited
	defer func() { m.finish(t, o) }()
	o = protect(func() error { return fn(m.ctx) })
}

// finish records the result of a task that returned.
func (m *Manager) finish(t *managedTask, o outcome) {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	t.returned = true
	m.running--
	if m.running == 0 && m.idle != nil {
		close(m.idle)
		m.idle = nil
	}
	if t.result.State != StateAbandoned {
		t.result.State = o.state()
		t.result.Duration = now.Sub(t.start)
		t.result.Err = o.err
		t.end = now
		return
	}
	// Wait has reported it abandoned: it leaves the set behind Abandoned.
	s := m.stepReport(t)
	s.End, s.State, s.Err = now, o.state(), o.err
	deliver(event{returned: &returnedStep{
		ctx:    m.parent,
		client: m.name,
		name:   func() string { return t.result.Name },
		step:   s,
	}})
	m.abandoned--
	if m.abandoned == 0 && m.registered {
		m.registered = false
		unregisterAbandoned(m)
	}
}

// Wait waits for every task started so far to return, or for the deadline
// (or ctx's cancellation), whichever comes first, and then releases the
// Manager's context.
//
// It returns nil when every task returned nil. Otherwise it returns a
// *[CleanupError] listing, in the order of the Go calls, each task that
// failed, panicked or was abandoned: a task still running when Wait returns
// at the deadline is abandoned; it goes on running in its goroutine and is
// listed by [Abandoned] until it returns. Wait returns at the deadline plus
// at most [Grace], which lets tasks that honour their context's deadline
// return and be reported as they ended rather than as abandoned. Nothing
// but that wait runs on the caller's goroutine: the log events and
// [Observer] calls of the first Wait are delivered after it returns.
func (m *Manager) Wait() error {
	m.mu.Lock()
	var idle chan struct{}
	if m.running > 0 {
		if m.idle == nil {
			m.idle = make(chan struct{})
		}
		idle = m.idle
	}
	m.mu.Unlock()
	if idle != nil {
		switch {
		case !m.on:
			<-idle
		case m.deadline.IsZero(): // no deadline, but ctx may be cancelled
			waitDeadline(idle, m.parent, m, forever)
		default:
			waitDeadline(idle, m.parent, m, time.Until(m.deadline))
		}
	}
	now := time.Now()
	m.mu.Lock()
	if m.running > 0 {
		cause := deadlineCause(m.ctx)
		if cause == nil {
			cause = errDeadline
		}
		for _, t := range m.tasks {
			if !t.returned && t.result.State != StateAbandoned {
				t.result.State = StateAbandoned
				t.result.Err = cause
				t.result.Duration = now.Sub(t.start)
				t.end = now
				m.abandoned++
			}
		}
		if m.abandoned > 0 && !m.registered {
			m.registered = true
			registerAbandoned(m)
		}
		m.over = true
	}
	results := m.resultsLocked(now)
	first := !m.waited
	err := report(m.name, results)
	if first {
		m.waited, m.err, m.end = true, err, now
	}
	m.mu.Unlock()
	m.cancel()
	if first && (err != nil || !quiet()) {
		if m.over {
			m.probed = startProbe(now, m.recordStacks)
		}
		deliver(event{ended: m})
	}
	return err
}

// recordStacks keeps the stacks of the abandoned tasks found in a profile.
func (m *Manager) recordStacks(stacks map[stepKey][]string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if t.result.State == StateAbandoned && !t.returned {
			t.stack = stacks[stepKey{m.name, t.result.Name}]
		}
	}
}

// expired waits for the tasks' context to be done, once Wait's timer has
// fired at the deadline: its own timer is due too.
func (m *Manager) expired() { <-m.ctx.Done() }

// Results returns the outcome of every task started by Go, in the order of
// the Go calls. After Wait it is final; before, a task that is still running
// is reported with StateOK, no error and the time it has run so far.
func (m *Manager) Results() []TaskResult {
	now := time.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resultsLocked(now)
}

// resultsLocked returns the tasks' results. m.mu is held.
func (m *Manager) resultsLocked(now time.Time) []TaskResult {
	results := make([]TaskResult, len(m.tasks))
	for i, t := range m.tasks {
		results[i] = t.result
		if !t.returned && t.result.State != StateAbandoned {
			results[i] = TaskResult{Name: t.result.Name, Duration: now.Sub(t.start)}
		}
	}
	return results
}

// appendAbandoned appends the tasks that still run after Wait abandoned
// them.
func (m *Manager) appendAbandoned(list []AbandonedTask, _ time.Time) []AbandonedTask {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range m.tasks {
		if !t.returned && t.result.State == StateAbandoned {
			list = append(list, AbandonedTask{Teardown: m.id, Client: m.name, Step: t.result.Name, Started: t.start, Stack: t.stack})
		}
	}
	return list
}

// report builds the Manager's Report, on the delivery goroutine.
func (m *Manager) report() Report {
	if m.probed != nil {
		<-m.probed
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := Report{ID: m.id, Context: m.parent, Client: m.name, Start: m.start, End: m.end, Deadline: m.deadline, Err: m.err}
	for _, t := range m.tasks {
		if t.end.IsZero() || t.end.After(m.end) {
			continue // started after Wait
		}
		s := m.stepReport(t)
		s.Name, s.State, s.End, s.Err = t.result.Name, t.result.State, t.end, t.result.Err
		if s.State == StateAbandoned {
			s.Stack = t.stack
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

// stepReport returns what a StepReport says of task t apart from its
// outcome. m.mu is held.
func (m *Manager) stepReport(t *managedTask) StepReport {
	s := StepReport{Teardown: m.id, Name: t.result.Name, Field: t.result.Name, Index: -1, Start: t.start}
	if !m.deadline.IsZero() {
		s.Budget = max(m.deadline.Sub(t.start), 0)
	}
	return s
}

// taskLabel names a Manager's task in labelCache.
type taskLabel struct{ client, step string }

// labelCacheSize bounds labelCache: a program usually has a few task
// names, but one that names its tasks after requests or connections must
// not keep a context for each of them.
const labelCacheSize = 1024

// labelCache holds the pprof label contexts of Managers' tasks, made once
// for each client and task name while there are few of them. When it is
// full it is emptied: the names in use come back on their next task.
var labelCache struct {
	mu sync.Mutex
	m  map[taskLabel]context.Context
}

// taskLabels returns the context carrying the pprof labels of the task step
// of client.
func taskLabels(client, step string) context.Context {
	k := taskLabel{client, step}
	lc := &labelCache
	lc.mu.Lock()
	c, ok := lc.m[k]
	lc.mu.Unlock()
	if ok {
		return c
	}
	c = pprof.WithLabels(context.Background(), pprof.Labels("cleanup.client", client, "cleanup.step", step))
	lc.mu.Lock()
	if lc.m == nil || len(lc.m) >= labelCacheSize {
		lc.m = make(map[taskLabel]context.Context)
	}
	lc.m[k] = c
	lc.mu.Unlock()
	return c
}
