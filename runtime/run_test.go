package runtime

import (
	"bytes"
	"context"
	"log"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	goruntime "runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPanicNilIsAPanic runs itself in a child process with
// GODEBUG=panicnil=1, under which recover returns nil for panic(nil).
func TestPanicNilIsAPanic(t *testing.T) {
	if os.Getenv("CLEANUPGEN_PANICNIL_CHILD") == "1" {
		c := newClient()
		err := plan(time.Second, step("nil", 0, func(context.Context) error { panic(nil) })).Close(context.Background(), &c.guard, c)
		var ce *CleanupError
		if !assertAs(err, &ce) || len(ce.Tasks) != 1 || ce.Tasks[0].State != StatePanicked {
			t.Fatalf("panic(nil) under panicnil=1: got %v", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicNilIsAPanic$", "-test.v")
	cmd.Env = append(os.Environ(), "CLEANUPGEN_PANICNIL_CHILD=1", "GODEBUG=panicnil=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestPanicNilIsAPanic")

	// And without the GODEBUG setting, in this process.
	c := newClient()
	err = plan(time.Second, step("nil", 0, func(context.Context) error { panic(nil) })).Close(context.Background(), &c.guard, c)
	var ce *CleanupError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, StatePanicked, ce.Tasks[0].State)
}

func assertAs(err error, target **CleanupError) bool {
	ce, ok := err.(*CleanupError)
	*target = ce
	return ok
}

func TestStepGoroutinesCarryPprofLabels(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	c := newClient()
	p := plan(time.Minute, step("stuck", 0, func(context.Context) error {
		close(started)
		<-release
		return nil
	}))
	p.p.Type = "labels.Client"
	done := make(chan error, 1)
	go func() { done <- p.Close(context.Background(), &c.guard, c) }()
	<-started
	var buf bytes.Buffer
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
	close(release)
	require.NoError(t, <-done)
	assert.Contains(t, buf.String(), `"cleanup.client":"labels.Client"`)
	assert.Contains(t, buf.String(), `"cleanup.step":"stuck"`)
}

// recordingObserver records what it is told.
type recordingObserver struct {
	mu       sync.Mutex
	ended    []Report
	returned []StepReport
}

func (o *recordingObserver) Ended(r Report) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended = append(o.ended, r)
}

func (o *recordingObserver) Returned(_ string, s StepReport) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.returned = append(o.returned, s)
}

type reportCtxKey struct{}

func TestObserverSeesEveryStep(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		remove := AddObserver(o)
		defer remove()
		release := make(chan struct{})
		c := newClient()
		c.items = []*recorder{{}, {}}
		each := tstep{Name: "items", Phase: 1, Each: func(r *testRefs, add func(string, func(context.Context) error, func(context.Context) error)) {
			for i := range r.items {
				add("items["+string(rune('0'+i))+"]", func(context.Context) error { return nil }, nil)
			}
		}}
		ctx := context.WithValue(context.Background(), reportCtxKey{}, "span")
		start := time.Now()
		err := plan(time.Second,
			step("ok", 0, sleep(100*time.Millisecond)),
			step("fails", 0, func(context.Context) error { return errBoom }),
			each,
			step("stuck", 2, waitFor(release)),
			step("late", 3, sleep(0)),
		).Close(ctx, &c.guard, c)
		require.Error(t, err)
		synctest.Wait()
		o.mu.Lock()
		require.Len(t, o.ended, 1)
		r := o.ended[0]
		o.mu.Unlock()
		assert.Equal(t, "span", r.Context.Value(reportCtxKey{}), "the report carries the caller's context")
		assert.Equal(t, "test.Client", r.Client)
		assert.Equal(t, start, r.Start)
		assert.Equal(t, start.Add(time.Second+Grace), r.End)
		assert.Same(t, err, r.Err)
		var got []string
		for _, s := range r.Steps {
			if s.Start.IsZero() {
				got = append(got, s.Name+" "+s.State.String())
				continue
			}
			got = append(got, s.Name+" "+s.State.String()+" "+s.Start.Sub(start).String()+" "+s.End.Sub(start).String())
		}
		assert.Equal(t, []string{
			"ok ok 0s 100ms",
			"fails failed 0s 0s",
			"items[0] ok 100ms 100ms",
			"items[1] ok 100ms 100ms",
			"stuck abandoned 100ms 1.00025s",
			"late not started by the deadline",
		}, got)
		close(release)
		synctest.Wait()
		o.mu.Lock()
		defer o.mu.Unlock()
		require.Len(t, o.returned, 1, "the abandoned step returned at last")
		assert.Equal(t, "stuck", o.returned[0].Name)
		assert.Equal(t, StateOK, o.returned[0].State)
	})
}

func TestAddObserverRemove(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		o := &recordingObserver{}
		remove := AddObserver(o)
		remove()
		remove() // harmless
		c := newClient()
		require.Error(t, plan(time.Second, step("fails", 0, func(context.Context) error { return errBoom })).Close(context.Background(), &c.guard, c))
		synctest.Wait()
		assert.Empty(t, o.ended)
	})
}

// panickingObserver panics in every call.
type panickingObserver struct{}

func (panickingObserver) Ended(Report)                { panic("observer") }
func (panickingObserver) Returned(string, StepReport) { panic("observer") }

func TestObserverPanicIsRecovered(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		defer AddObserver(panickingObserver{})()
		o := &recordingObserver{}
		defer AddObserver(o)()
		c := newClient()
		require.Error(t, plan(time.Second, step("fails", 0, func(context.Context) error { return errBoom })).Close(context.Background(), &c.guard, c))
		synctest.Wait()
		assert.Len(t, o.ended, 1, "the next observer is still called")
	})
}

func TestKeyStringCallsNoMethod(t *testing.T) {
	type inner struct {
		A int
		B string
	}
	k := blockingKey{"x"}
	assert.Equal(t, `{"x"}`, KeyString(k), "String is not called")
	assert.Equal(t, `{3 "b"}`, KeyString(inner{3, "b"}))
	assert.Equal(t, `[1 2]`, KeyString([2]uint8{1, 2}))
	assert.Equal(t, `true`, KeyString(true))
	assert.Equal(t, `1.5`, KeyString(1.5))
	assert.Equal(t, `<nil>`, KeyString(nil))
	var p *int
	assert.Equal(t, `nil`, KeyString(p))
	assert.True(t, strings.HasPrefix(KeyString(new(int)), "0x"))
}

// blockingKey is a map key whose String method never returns.
type blockingKey struct{ s string }

func (blockingKey) String() string { select {} }

// gate is a writer that blocks until open is closed.
type gate struct {
	open chan struct{}
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (g *gate) Write(p []byte) (int, error) {
	<-g.open
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(p)
}

func TestFlushWaitsForDelivery(t *testing.T) {
	settleEvents(t)
	synctest.Test(t, func(t *testing.T) {
		g := &gate{open: make(chan struct{})}
		prev := slog.Default()
		prevOut, prevFlags := log.Writer(), log.Flags()
		slog.SetDefault(slog.New(slog.NewTextHandler(g, nil)))
		// Restoring the default logger leaves the log package writing to
		// the handler: restore its output too.
		defer func() { slog.SetDefault(prev); log.SetOutput(prevOut); log.SetFlags(prevFlags) }()
		require.NoError(t, Flush(context.Background()), "nothing queued: nothing to wait for")

		c := newClient()
		require.Error(t, plan(time.Second, step("fails", 0, func(context.Context) error { return errBoom })).Close(context.Background(), &c.guard, c))
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		assert.ErrorIs(t, Flush(ctx), context.DeadlineExceeded, "the handler blocks")

		go func() {
			time.Sleep(time.Minute)
			close(g.open)
		}()
		start := time.Now()
		require.NoError(t, Flush(context.Background()))
		assert.Equal(t, time.Minute, time.Since(start))
		g.mu.Lock()
		defer g.mu.Unlock()
		assert.Contains(t, g.buf.String(), "cleanupgen.step=fails cleanupgen.phase=0 cleanupgen.state=failed")
	})
}

// settleEvents waits for the steps and events of earlier tests to end, so
// that no delivery goroutine from outside the next synctest bubble calls
// its handlers and observers.
func settleEvents(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(Abandoned()) > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond) // a step of an earlier test may still return, and report it
	}
	require.NoError(t, Flush(ctx))
}

func TestManagerTasksCarryPprofLabels(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	m := NewManager(context.Background(), time.Minute, WithName("labels.Manager"))
	m.Go("stuck", func(context.Context) error {
		close(started)
		<-release
		return nil
	})
	<-started
	var buf bytes.Buffer
	require.NoError(t, pprof.Lookup("goroutine").WriteTo(&buf, 1))
	close(release)
	require.NoError(t, m.Wait())
	assert.Contains(t, buf.String(), `"cleanup.client":"labels.Manager"`)
	assert.Contains(t, buf.String(), `"cleanup.step":"stuck"`)
}

func TestStepContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		parent := context.WithValue(context.Background(), reportCtxKey{}, "v")
		start := time.Now()
		var deadline time.Time
		var hasDeadline bool
		var value any
		var errAtStart error
		err := plan(time.Minute, step("looks", 0, func(ctx context.Context) error {
			deadline, hasDeadline = ctx.Deadline()
			value = ctx.Value(reportCtxKey{})
			errAtStart = ctx.Err()
			return nil
		})).Close(parent, &c.guard, c)
		require.NoError(t, err)
		assert.True(t, hasDeadline)
		assert.Equal(t, start.Add(time.Minute), deadline)
		assert.Equal(t, "v", value, "the caller's values")
		assert.NoError(t, errAtStart)
	})
}

func TestStepContextFirstAskedAfterCloseIsDone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClient()
		asked := make(chan error, 1)
		proceed := make(chan struct{})
		s := step("lingers", 0, func(ctx context.Context) error {
			<-proceed
			<-ctx.Done() // first asked once Close has returned
			asked <- ctx.Err()
			return nil
		})
		s.Timeout = time.Second
		s.Force = func(context.Context, *testRefs) error { return nil }
		require.NoError(t, plan(time.Minute, s).Close(context.Background(), &c.guard, c), "forced at its budget")
		close(proceed)
		assert.Error(t, <-asked, "the steps' context is released when Close returns")
	})
}

// TestStepGoroutinesStartOutsideGenericCode checks where a step's goroutine
// starts: at a function that is not generic. The Go runtime reads the name
// of a goroutine's start function when the goroutine starts and when it
// exits, and a generic method's name spells out the client's whole struct
// type.
func TestStepGoroutinesStartOutsideGenericCode(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := &hooks{close: func(context.Context, int, int, bool) error { <-release; return nil }}
	c := newHookClient(h)
	err := stepPlan(10*time.Millisecond, Step{Name: "conn"}).Close(context.Background(), &c.guard, c)
	require.Error(t, err)
	buf := make([]byte, 1<<20)
	buf = buf[:goruntime.Stack(buf, true)]
	var found bool
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "runtime.(*stepRefs).Close") {
			continue
		}
		found = true
		i := strings.Index(g, "created by ")
		require.GreaterOrEqual(t, i, 0, g)
		creator, _, _ := strings.Cut(g[i+len("created by "):], " ")
		assert.NotContains(t, creator, "[", "started from generic code:\n%s", g)
	}
	assert.True(t, found, "the step's goroutine is running:\n%s", buf)
}

// TestUnitHoldsNoPointer checks that a teardown's units, which it allocates
// in one piece, are memory the garbage collector does not scan, and stay
// small.
func TestUnitHoldsNoPointer(t *testing.T) {
	var pointerFree func(typ reflect.Type) bool
	pointerFree = func(typ reflect.Type) bool {
		switch typ.Kind() {
		case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float64:
			return true
		case reflect.Array:
			return typ.Len() == 0 || pointerFree(typ.Elem())
		case reflect.Struct:
			for i := range typ.NumField() {
				if !pointerFree(typ.Field(i).Type) {
					t.Logf("%s.%s holds a pointer", typ, typ.Field(i).Name)
					return false
				}
			}
			return true
		}
		return false
	}
	assert.True(t, pointerFree(reflect.TypeFor[unit]()))
	assert.LessOrEqual(t, reflect.TypeFor[unit]().Size(), uintptr(40))
}
