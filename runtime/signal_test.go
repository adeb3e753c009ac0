//go:build unix

package runtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	goruntime "runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signalClient is a client as generated code would declare it, closed
// through a Plan whose refs type, signalRefs, is written by hand: its steps
// are the functions in steps, named by the plan.
type signalClient struct {
	guard Guard
	steps []func(ctx context.Context) error
	plan  *Plan[signalClient, signalRefs]
}

type signalRefs struct {
	steps []func(ctx context.Context) error
}

func (r *signalRefs) Take(x *signalClient)       { r.steps = x.steps }
func (r *signalRefs) Drop(x *signalClient)       { x.steps = nil }
func (r *signalRefs) Len(step int) int           { return 0 }
func (r *signalRefs) Name(step, elem int) string { return "" }
func (r *signalRefs) Close(ctx context.Context, step, elem int, force bool) error {
	return r.steps[step](ctx)
}

// signalStep is one step of a signalClient.
type signalStep struct {
	name string
	fn   func(ctx context.Context) error
}

// newSignalClient returns a client whose steps run in one phase, with a
// timeout of a minute: the grace given to CloseOnSignal is the deadline.
func newSignalClient(steps ...signalStep) *signalClient {
	c := &signalClient{plan: &Plan[signalClient, signalRefs]{Type: "runtime.signalClient", Timeout: time.Minute}}
	for _, s := range steps {
		c.plan.Steps = append(c.plan.Steps, Step{Name: s.name})
		c.steps = append(c.steps, s.fn)
	}
	return c
}

func (c *signalClient) CloseContext(ctx context.Context) error {
	return c.plan.Close(ctx, &c.guard, c)
}

func okStep(context.Context) error { return nil }

// hungStep returns a step that ignores its context and returns when
// release is closed; it closes started (if not nil) when it starts.
func hungStep(started chan<- struct{}, release <-chan struct{}) func(context.Context) error {
	return func(context.Context) error {
		if started != nil {
			close(started)
		}
		<-release
		return nil
	}
}

// hookNotified sets testHookNotified for the duration of the test and
// returns a channel that receives once CloseOnSignal catches its signals.
func hookNotified(t *testing.T) <-chan struct{} {
	notified := make(chan struct{}, 1)
	testHookNotified = func() { notified <- struct{}{} }
	t.Cleanup(func() { testHookNotified = nil })
	return notified
}

// ctxClient records the context its CloseContext is given and returns err.
type ctxClient struct {
	ctx    context.Context
	ctxErr error // ctx.Err() when CloseContext was called
	err    error
}

func (c *ctxClient) CloseContext(ctx context.Context) error {
	c.ctx, c.ctxErr = ctx, ctx.Err()
	return c.err
}

type ctxKey struct{}

func TestCloseOnSignalContextDone(t *testing.T) {
	want := errors.New("db: connection reset")
	c := &ctxClient{err: want}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace"))
	cancel()

	before := time.Now()
	err := CloseOnSignal(ctx, c, 3*time.Second, syscall.SIGUSR1)
	after := time.Now()

	assert.Same(t, want, err, "CloseOnSignal returns CloseContext's result as is")
	require.NotNil(t, c.ctx, "CloseContext was not called")
	assert.Equal(t, "trace", c.ctx.Value(ctxKey{}), "the close's context carries ctx's values")
	deadline, ok := c.ctx.Deadline()
	require.True(t, ok, "the close's context has no deadline")
	assert.False(t, deadline.Before(before.Add(3*time.Second)), "deadline %v is less than grace from the start", deadline)
	assert.False(t, deadline.After(after.Add(3*time.Second)), "deadline %v is more than grace from the start", deadline)
	assert.NoError(t, c.ctxErr, "the cancellation of ctx reached the close")
}

func TestCloseOnSignalFirstSignal(t *testing.T) {
	notified := hookNotified(t)
	c := newSignalClient(signalStep{"a", okStep}, signalStep{"b", okStep})
	errc := make(chan error, 1)
	go func() { errc <- CloseOnSignal(context.Background(), c, time.Minute, syscall.SIGUSR1) }()
	<-notified
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	assert.NoError(t, <-errc)
	assert.True(t, c.guard.Closed())
}

// TestCloseOnSignalNotifyContext: a signal that ends ctx (signal.NotifyContext
// on the same signal) starts the close; it is not a second signal.
func TestCloseOnSignalNotifyContext(t *testing.T) {
	notified := hookNotified(t)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGUSR1)
	defer stop()
	s := &stuckCloser{started: make(chan struct{}), release: make(chan struct{})}
	errc := make(chan error, 1)
	go func() { errc <- CloseOnSignal(ctx, s, time.Hour, syscall.SIGUSR1) }()
	<-notified
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	<-s.started
	// os/signal has delivered SIGUSR1 to every channel once Notify, which
	// takes the lock delivery holds, returns.
	probe := make(chan os.Signal, 1)
	signal.Notify(probe, syscall.SIGUSR1)
	signal.Stop(probe)
	close(s.release)
	assert.NoError(t, <-errc)
}

// TestCloseOnSignalInterrupt starts the close with ctx and interrupts it with
// a signal: the hung step is named as abandoned, with ErrInterrupted.
func TestCloseOnSignalInterrupt(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() {
		close(release)
		// Other tests look at Abandoned: leave it as it was.
		require.Eventually(t, func() bool { return len(abandonedNames()) == 0 }, 10*time.Second, time.Millisecond)
	})
	c := newSignalClient(signalStep{"flush", okStep}, signalStep{"db", hungStep(started, release)})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errc := make(chan error, 1)
	go func() { errc <- CloseOnSignal(ctx, c, time.Hour, syscall.SIGUSR1) }()
	<-started
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	err := <-errc

	require.ErrorIs(t, err, ErrInterrupted)
	var ce *CleanupError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Tasks, 1, "%v", err)
	assert.Equal(t, "db", ce.Tasks[0].Name)
	assert.Equal(t, StateAbandoned, ce.Tasks[0].State)
	assert.ErrorIs(t, ce.Tasks[0].Err, ErrInterrupted)
	assert.Contains(t, err.Error(), "db: abandoned")
	assert.Equal(t, []string{"runtime.signalClient db"}, abandonedNames())
}

// abandonedNames returns the entries of signalClients in Abandoned, as
// "client step" strings.
func abandonedNames() []string {
	var names []string
	for _, a := range Abandoned() {
		if a.Client == "runtime.signalClient" {
			names = append(names, a.Client+" "+a.Step)
		}
	}
	return names
}

// stuckCloser's CloseContext ignores its context until release is closed.
type stuckCloser struct {
	started chan struct{}
	release chan struct{}
}

func (s *stuckCloser) CloseContext(context.Context) error {
	close(s.started)
	<-s.release
	return nil
}

func TestCloseOnSignalInterruptStuckCloseContext(t *testing.T) {
	s := &stuckCloser{started: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errc := make(chan error, 1)
	go func() { errc <- CloseOnSignal(ctx, s, time.Hour, syscall.SIGUSR1) }()
	<-s.started
	require.NoError(t, syscall.Kill(syscall.Getpid(), syscall.SIGUSR1))
	err := <-errc
	require.ErrorIs(t, err, ErrInterrupted)
	assert.Contains(t, err.Error(), "*runtime.stuckCloser.CloseContext did not return")
}

// The tests below run a child process: the test binary again, with
// signalChildEnv naming a scenario, which init runs instead of the tests.
// They use real time; each states its slack.

const signalChildEnv = "CLEANUPGEN_TEST_SIGNAL_CHILD"

func init() {
	if scenario := os.Getenv(signalChildEnv); scenario != "" {
		os.Exit(signalChild(scenario))
	}
}

// Exit statuses of the child.
const (
	childClean       = 0
	childFailed      = 1
	childInterrupted = 3
	childBadScenario = 4
)

// signalChild runs a scenario and returns the exit status. It writes lines
// to stdout: "notified" once CloseOnSignal catches its signals, "running"
// when the hung step starts, "took D" with the time from the start of the
// close to the return, and "err: ..." with the error.
func signalChild(scenario string) int {
	var (
		grace time.Duration
		steps = []signalStep{{"flush", okStep}}
	)
	var mu sync.Mutex // say is called from the steps too
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(os.Stdout, format+"\n", args...)
	}
	var start time.Time
	var once sync.Once
	begin := func(context.Context) error {
		once.Do(func() { start = time.Now() })
		return nil
	}
	steps = append([]signalStep{{"begin", begin}}, steps...)
	switch scenario {
	case "clean", "stop":
		grace = 10 * time.Second
		steps = append(steps, signalStep{"wait", func(ctx context.Context) error {
			t := time.NewTimer(10 * time.Millisecond)
			defer t.Stop()
			select {
			case <-t.C:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}})
	case "hang":
		grace = 300 * time.Millisecond
		steps = append(steps, signalStep{"db", func(context.Context) error {
			say("running")
			select {}
		}})
	case "second":
		grace = time.Hour
		steps = append(steps, signalStep{"db", func(context.Context) error {
			say("running")
			select {}
		}})
	default:
		return childBadScenario
	}
	// "begin" runs first: the phase before the others.
	c := newSignalClient(steps...)
	c.plan.Steps[0].Phase = -1
	testHookNotified = func() { say("notified") }
	err := CloseOnSignal(context.Background(), c, grace)
	say("took %v", time.Since(start))
	say("err: %v", err)
	switch {
	case scenario == "stop":
		say("returned")
		// Block until a signal ends the process: CloseOnSignal no longer
		// catches them.
		_, _ = io.Copy(io.Discard, os.Stdin)
		return childFailed
	case errors.Is(err, ErrInterrupted):
		return childInterrupted
	case err != nil:
		if errors.Is(err, context.DeadlineExceeded) {
			say("deadline exceeded")
		}
		return childFailed
	}
	return childClean
}

// child is a running child process.
type child struct {
	t     *testing.T
	cmd   *exec.Cmd
	lines chan string
	stdin io.WriteCloser
}

func startChild(t *testing.T, scenario string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// GORACE: a child built with -race would sleep a second before exiting.
	cmd.Env = append(os.Environ(), signalChildEnv+"="+scenario, "GORACE=atexit_sleep_ms=0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	c := &child{t: t, cmd: cmd, lines: make(chan string, 16), stdin: stdin}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(c.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = stdin.Close()
		<-read
		_ = cmd.Wait()
	})
	return c
}

// expect reads the next line, which must start with prefix, and returns it.
func (c *child) expect(prefix string) string {
	c.t.Helper()
	select {
	case line, ok := <-c.lines:
		require.True(c.t, ok, "child exited before writing %q", prefix)
		require.True(c.t, strings.HasPrefix(line, prefix), "child wrote %q, want %q...", line, prefix)
		return line
	case <-time.After(30 * time.Second):
		c.t.Fatalf("child wrote no %q within 30s", prefix)
		return ""
	}
}

func (c *child) signal(sig os.Signal) {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(sig))
}

// wait drains the child's output and returns its exit status, or -1 if a
// signal ended it.
func (c *child) wait() (rest []string, status int) {
	c.t.Helper()
	for line := range c.lines {
		rest = append(rest, line)
	}
	err := c.cmd.Wait()
	if err == nil {
		return rest, 0
	}
	var ee *exec.ExitError
	require.ErrorAs(c.t, err, &ee)
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return rest, -1
	}
	return rest, ee.ExitCode()
}

func (c *child) took() time.Duration {
	c.t.Helper()
	d, err := time.ParseDuration(strings.TrimPrefix(c.expect("took "), "took "))
	require.NoError(c.t, err)
	return d
}

func TestCloseOnSignalChildClean(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			c := startChild(t, "clean")
			c.expect("notified")
			c.signal(sig)
			c.took()
			assert.Equal(t, "err: <nil>", c.expect("err: "))
			_, status := c.wait()
			assert.Equal(t, childClean, status)
		})
	}
}

// TestCloseOnSignalChildHang: a step that ignores its context is abandoned
// at the deadline, grace (300ms) after the signal. Slack: the close must
// return within a second of that deadline; the runtime's goal is 5ms.
func TestCloseOnSignalChildHang(t *testing.T) {
	c := startChild(t, "hang")
	c.expect("notified")
	c.signal(syscall.SIGTERM)
	c.expect("running")
	took := c.took()
	errLine := c.expect("err: ")
	rest, status := c.wait()
	assert.Equal(t, childFailed, status)
	assert.GreaterOrEqual(t, took, 300*time.Millisecond-10*time.Millisecond, "returned before the deadline")
	assert.Less(t, took, 300*time.Millisecond+time.Second, "returned long after the deadline")
	assert.Contains(t, errLine, "db: abandoned")
	assert.Equal(t, []string{"deadline exceeded"}, rest)
}

// TestCloseOnSignalChildSecondSignal: with an hour of grace, a second signal
// makes CloseOnSignal return at once, naming the hung step. Slack: "at once"
// is checked as within 5 seconds of the second signal.
func TestCloseOnSignalChildSecondSignal(t *testing.T) {
	c := startChild(t, "second")
	c.expect("notified")
	c.signal(syscall.SIGTERM)
	c.expect("running")
	sent := time.Now()
	c.signal(syscall.SIGINT)
	c.took()
	errLine := c.expect("err: ")
	assert.Less(t, time.Since(sent), 5*time.Second)
	_, status := c.wait()
	assert.Equal(t, childInterrupted, status)
	assert.Contains(t, errLine, "cleanup interrupted: ")
	assert.Contains(t, errLine, "db: abandoned")
}

// TestCloseOnSignalChildStopsCatching: once CloseOnSignal has returned, a
// SIGTERM ends the process again.
func TestCloseOnSignalChildStopsCatching(t *testing.T) {
	c := startChild(t, "stop")
	c.expect("notified")
	c.signal(syscall.SIGTERM)
	c.took()
	assert.Equal(t, "err: <nil>", c.expect("err: "))
	c.expect("returned")
	c.signal(syscall.SIGTERM)
	_, status := c.wait()
	assert.Equal(t, -1, status, "the child was not ended by the signal")
}

// badCloser's CloseContext panics, or calls runtime.Goexit.
type badCloser struct{ goexit bool }

func (b badCloser) CloseContext(context.Context) error {
	if b.goexit {
		goruntime.Goexit()
	}
	panic("close")
}

func TestCloseOnSignalRecoversACloseContextThatPanicsOrExits(t *testing.T) {
	for _, goexit := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := CloseOnSignal(ctx, badCloser{goexit}, time.Second, syscall.SIGUSR1)
		if goexit {
			assert.ErrorIs(t, err, errGoexit)
			continue
		}
		var pe *PanicError
		assert.ErrorAs(t, err, &pe)
	}
}
