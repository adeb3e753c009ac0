package runtime

import (
	"context"
	"math"
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
	deadline time.Time // zero when deadlines are off
	name     string

	mu    sync.Mutex
	tasks []*managedTask
	// running counts tasks that have not returned.
	running int
	// idle, when not nil, is closed when running drops to zero.
	idle chan struct{}
}

// managedTask is one task started by Manager.Go.
type managedTask struct {
	result   TaskResult
	start    time.Time
	returned bool
	entry    *AbandonedTask // set while abandoned and still running
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
	m := &Manager{name: "runtime.Manager", parent: ctx}
	for _, opt := range opts {
		opt(m)
	}
	m.ctx, m.deadline, m.cancel = teardownContext(ctx, time.Now(), timeout, DeadlinesEnabled())
	return m
}

// Deadline returns the time by which Wait returns; the zero Time when
// deadlines are off.
func (m *Manager) Deadline() time.Time {
	return m.deadline
}

// TimeRemaining returns the time left until the deadline: zero once it has
// passed, and the largest Duration when deadlines are off.
func (m *Manager) TimeRemaining() time.Duration {
	if m.deadline.IsZero() {
		return math.MaxInt64
	}
	return max(time.Until(m.deadline), 0)
}

// Go starts fn in a new goroutine, under the name name, with the Manager's
// context. A panic in fn is recovered and becomes its error, a *[PanicError].
// Go may be called after Wait; fn then gets a context that is already done.
func (m *Manager) Go(name string, fn func(ctx context.Context) error) {
	t := &managedTask{result: TaskResult{Name: name}, start: time.Now()}
	m.mu.Lock()
	m.tasks = append(m.tasks, t)
	m.running++
	m.mu.Unlock()
	go m.run(t, fn)
}

func (m *Manager) run(t *managedTask, fn func(context.Context) error) {
	o := goexited
	defer func() { m.finish(t, o) }()
	o = protect(func() error { return fn(m.ctx) })
}

// finish records the result of a task that returned.
func (m *Manager) finish(t *managedTask, o outcome) {
	now := time.Now()
	m.mu.Lock()
	t.returned = true
	if t.entry != nil {
		// Wait has already reported it abandoned; it only leaves the list.
		release(t.entry)
		t.entry = nil
	} else {
		t.result.State = o.state()
		t.result.Duration = now.Sub(t.start)
		t.result.Err = o.err
	}
	m.running--
	if m.running == 0 && m.idle != nil {
		close(m.idle)
		m.idle = nil
	}
	r := t.result
	m.mu.Unlock()
	if r.State != StateAbandoned {
		logStep(m.name, r, 0)
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
// return and be reported as they ended rather than as abandoned.
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
		if m.deadline.IsZero() {
			<-idle
		} else {
			waitDeadline(idle, m.parent, m.ctx, m.deadline)
		}
	}
	results := m.collect(true)
	m.cancel()
	return report(m.name, results)
}

// Results returns the outcome of every task started by Go, in the order of
// the Go calls. After Wait it is final; before, a task that is still running
// is reported with StateOK, no error and the time it has run so far.
func (m *Manager) Results() []TaskResult {
	return m.collect(false)
}

// collect returns the tasks' results; with abandonRunning, tasks still
// running are abandoned first.
func (m *Manager) collect(abandonRunning bool) []TaskResult {
	now := time.Now()
	m.mu.Lock()
	results := make([]TaskResult, len(m.tasks))
	var newly []*managedTask
	for i, t := range m.tasks {
		if !t.returned && t.entry == nil {
			if abandonRunning {
				t.entry = abandon(m.name, t.result.Name, t.start)
				t.result.State = StateAbandoned
				t.result.Err = deadlineCause(m.ctx)
				t.result.Duration = now.Sub(t.start)
				newly = append(newly, t)
			} else {
				results[i] = TaskResult{Name: t.result.Name, Duration: now.Sub(t.start)}
				continue
			}
		}
		results[i] = t.result
	}
	m.mu.Unlock()
	// An abandoned task's result no longer changes, so it is read unlocked.
	for _, t := range newly {
		logStep(m.name, t.result, m.deadline.Sub(t.start))
	}
	return results
}
