package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

// childArgs, in the environment, makes the test binary run the program
// with these arguments instead of the tests: the tests that send signals
// run it in a child process.
const childArgs = "CLEANUPGEN_EXAMPLE_SHUTDOWN_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgs); ok {
		os.Args = append([]string{"shutdown"}, strings.Fields(args)...)
		main()
	}
	goleak.VerifyTestMain(m)
}

// TestServes runs the program in-process: it serves its endpoints, and
// closes cleanly when its context ends, as on a signal.
func TestServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-drain", "10ms", "-refresh", "10ms"}, pw, &stderr)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	url = strings.TrimSpace(url)

	assert.Equal(t, http.StatusOK, get(t, url+"/readyz").StatusCode)
	assert.Equal(t, http.StatusOK, get(t, url+"/healthz").StatusCode)
	// The camera list comes from the refresh loop: it is there once the
	// loop has run.
	require.Eventually(t, func() bool { return get(t, url+"/cameras").StatusCode == http.StatusOK }, 10*time.Second, 5*time.Millisecond)
	var names []string
	require.NoError(t, json.NewDecoder(get(t, url+"/cameras").Body).Decode(&names))
	assert.NotEmpty(t, names)

	cancel()
	assert.Equal(t, exitClean, <-code)
	assert.Contains(t, stderr.String(), "closed cleanly")
}

// get GETs url and returns the response, its body read into a buffer.
func get(t *testing.T, url string) *http.Response {
	t.Helper()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	resp.Body = io.NopCloser(strings.NewReader(string(body)))
	return resp
}

// TestClosesCleanly: the process, as a client, closes cleanly and once.
func TestClosesCleanly(t *testing.T) {
	up := visiontest.NewServer(t)
	s, ln, err := newServer(context.Background(), config{addr: "127.0.0.1:0", upstream: up.URL, refresh: time.Millisecond})
	require.NoError(t, err)
	defer ln.Close()
	cleanuptest.AssertClosesCleanly(t, s, cleanuptest.Timeout(30*time.Second))
}

// TestReadinessOffDuringDrain: readiness goes off as the close begins, and
// the close waits for the drain delay (phase 0) before the phases after it.
func TestReadinessOffDuringDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ready := new(readiness)
		s := &server{ready: ready, drain: drainDelay(2 * time.Second)}
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- s.CloseContext(context.Background()) }()
		synctest.Wait()
		assert.True(t, ready.off.Load(), "readiness still on during the drain")
		assert.NoError(t, <-done)
		assert.Equal(t, 2*time.Second, time.Since(start), "the close did not wait for the drain")
	})
}

// TestHungLoopNamed: a refresh loop whose fetch ignores its context hangs
// the loops step; the close still returns at its deadline, and its error
// names the step.
func TestHungLoopNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		hung := cleanuptest.Hang(t) // released when the test ends
		s := &server{ready: new(readiness)}
		var ctx context.Context
		ctx, s.cancel = context.WithCancel(context.Background())
		s.loops.Go(func() {
			s.refreshLoop(ctx, time.Second, func(context.Context) ([]string, error) { return nil, hung.Close() })
		})
		cctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		start := time.Now()
		err := s.CloseContext(cctx)
		assert.Equal(t, 3*time.Second+runtime.Grace, time.Since(start))
		var ce *runtime.CleanupError
		require.True(t, errors.As(err, &ce), "%v", err)
		assert.Equal(t, "main.server", ce.Type)
		require.NotEmpty(t, ce.Tasks)
		assert.Equal(t, "loops", ce.Tasks[0].Name)
		assert.Equal(t, runtime.StateAbandoned, ce.Tasks[0].State)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

// The tests below run the program in a child process and signal it. They
// use real time; each states its slack.

// child is the program running in a child process.
type child struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr strings.Builder
	read   chan struct{} // closed when stderr has been read to its end
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// GORACE: a child built with -race would sleep a second before exiting.
	cmd.Env = append(os.Environ(), childArgs+"="+strings.Join(args, " "), "GORACE=atexit_sleep_ms=0")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &child{t: t, cmd: cmd, read: make(chan struct{})}
	go func() {
		defer close(c.read)
		_, _ = io.Copy(&c.stderr, stderr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.read
		_ = cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	c.url = strings.TrimSpace(url)
	require.Equal(t, http.StatusOK, get(t, c.url+"/readyz").StatusCode)
	return c
}

func (c *child) signal(sig os.Signal) {
	c.t.Helper()
	require.NoError(c.t, c.cmd.Process.Signal(sig))
}

// wait returns the child's standard error and exit status.
func (c *child) wait() (string, int) {
	c.t.Helper()
	<-c.read
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return c.stderr.String(), ee.ExitCode()
	}
	require.NoError(c.t, err)
	return c.stderr.String(), 0
}

func TestSIGTERM(t *testing.T) {
	c := startChild(t, "-drain", "10ms")
	c.signal(syscall.SIGTERM)
	stderr, status := c.wait()
	assert.Equal(t, exitClean, status, stderr)
	assert.Contains(t, stderr, "closed cleanly")
}

// TestSIGTERMHungLoop: with -hang the loops step hangs; the shutdown ends at
// its grace, 500ms, and names it. Slack: none is checked; the child must
// exit (within the test's timeout).
func TestSIGTERMHungLoop(t *testing.T) {
	c := startChild(t, "-drain", "10ms", "-grace", "500ms", "-hang")
	c.signal(syscall.SIGTERM)
	stderr, status := c.wait()
	assert.Equal(t, exitFailed, status, stderr)
	assert.Contains(t, stderr, "shutdown: cleanup main.server: ")
	assert.Contains(t, stderr, "loops: abandoned after ")
	assert.Contains(t, stderr, "WARN cleanup step abandoned cleanupgen.client=main.server cleanupgen.teardown.id=")
	assert.Contains(t, stderr, "cleanupgen.step=loops cleanupgen.phase=3 cleanupgen.state=abandoned")
}

// TestSecondSignal: a second signal ends an hour-long drain at once.
// Slack: "at once" is within 5s of the second signal.
func TestSecondSignal(t *testing.T) {
	c := startChild(t, "-drain", "1h", "-grace", "1h")
	c.signal(syscall.SIGTERM)
	// Readiness goes off first: then the drain has begun.
	require.Eventually(t, func() bool {
		return get(t, c.url+"/readyz").StatusCode == http.StatusServiceUnavailable
	}, 10*time.Second, 5*time.Millisecond)
	sent := time.Now()
	c.signal(syscall.SIGINT)
	stderr, status := c.wait()
	assert.Less(t, time.Since(sent), 5*time.Second)
	assert.Equal(t, exitInterrupted, status, stderr)
	assert.Contains(t, stderr, "shutdown: cleanup interrupted: cleanup main.server: ")
	assert.Contains(t, stderr, "drain: ")
}
