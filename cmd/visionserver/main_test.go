package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
	"github.com/cleanupgen/cleanupgen/vision/visiontest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if binDir != "" {
			_ = os.RemoveAll(binDir)
		}
		os.Exit(code)
	}))
}

// TestRun serves in-process, checks the first line is a working URL, then
// cancels the context as a signal would.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-addr", "127.0.0.1:0", "-interval", "5ms"}, pw, io.Discard)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	url = strings.TrimSpace(url)
	checkServes(t, url)

	// A detection stream is open while the server shuts down: shutdown must
	// end it rather than wait for it.
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(url + "/v1/cameras/cam-a/detections")
	require.NoError(t, err)
	defer resp.Body.Close()

	cancel()
	assert.Equal(t, exitClean, <-code)
}

// TestProcessClosesCleanly: the process, as a client, closes cleanly and
// once, with a detection stream open.
func TestProcessClosesCleanly(t *testing.T) {
	srv, err := visiontest.Start(visiontest.WithDetectionInterval(5 * time.Millisecond))
	require.NoError(t, err)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get(srv.URL + "/v1/cameras/cam-a/detections")
	require.NoError(t, err)
	defer resp.Body.Close()

	cleanuptest.AssertClosesCleanly(t, &process{drain: drainDelay(time.Millisecond), srv: srv}, cleanuptest.Timeout(30*time.Second))
}

func TestBadUsage(t *testing.T) {
	for _, args := range [][]string{{"-nope"}, {"extra"}, {"-addr", "not an address"}, {"-idle-timeout", "0"}, {"-read-timeout", "-1s"}} {
		assert.Equal(t, exitUsage, run(context.Background(), args, io.Discard, io.Discard), "run(%q)", args)
	}
}

// TestIdleConnectionClosed: the server held idle keep-alive connections
// forever; -idle-timeout closes them. Slack: 100ms idle timeout, 5s wait.
func TestIdleConnectionClosed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"-addr", "127.0.0.1:0", "-idle-timeout", "100ms"}, pw, io.Discard)
		pw.Close()
	}()
	url, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	conn, err := net.Dial("tcp", strings.TrimPrefix(strings.TrimSpace(url), "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /v1/cameras HTTP/1.1\r\nHost: x\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.False(t, resp.Close, "the response closes the connection itself")
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = io.Copy(io.Discard, conn)
	var ne net.Error
	assert.False(t, errors.As(err, &ne) && ne.Timeout(), "an idle connection is still open 5s after a 100ms idle timeout")

	cancel()
	assert.Equal(t, exitClean, <-code)
}

// The tests below build the program and signal it. They use real time;
// each states its slack.

var (
	buildOnce sync.Once
	binDir    string
	bin       string
	buildErr  error
)

// build builds the program once for the tests that need it.
func build(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a binary")
	}
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "visionserver")
		if buildErr != nil {
			return
		}
		bin = filepath.Join(binDir, "visionserver")
		cmd := exec.Command("go", "build", "-o", bin, ".")
		cmd.Stderr = os.Stderr
		buildErr = cmd.Run()
	})
	require.NoError(t, buildErr)
	return bin
}

// server is a running visionserver.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	url    string
	stderr chan string // its lines of standard error
	done   chan struct{}
}

func start(t *testing.T, args ...string) *server {
	t.Helper()
	cmd := exec.Command(build(t), append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &server{t: t, cmd: cmd, stderr: make(chan string, 64), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer close(s.stderr)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			s.stderr <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		_ = cmd.Wait()
	})
	url, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	s.url = strings.TrimSpace(url)
	checkServes(t, s.url)
	return s
}

// expect waits for a line of standard error that contains want.
func (s *server) expect(want string) {
	s.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-s.stderr:
			require.True(s.t, ok, "no %q on standard error", want)
			if strings.Contains(line, want) {
				return
			}
		case <-timeout:
			s.t.Fatalf("no %q on standard error within 30s", want)
		}
	}
}

// wait returns the rest of standard error and the exit status.
func (s *server) wait() (stderr string, status int) {
	s.t.Helper()
	var lines []string
	for line := range s.stderr {
		lines = append(lines, line)
	}
	err := s.cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return strings.Join(lines, "\n"), ee.ExitCode()
	}
	require.NoError(s.t, err)
	return strings.Join(lines, "\n"), 0
}

func TestSignal(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			s := start(t)
			require.NoError(t, s.cmd.Process.Signal(sig))
			s.expect("shutting down")
			stderr, status := s.wait()
			assert.Equal(t, exitClean, status, "%s", stderr)
		})
	}
}

// TestSignalDrainCutShort: a drain longer than the shutdown timeout is cut
// short at the deadline, 200ms after the signal, and named. Slack: the
// process exits within 10s. The drain's state reads failed or abandoned
// with the runtime on main, timed out with the runtime's next commits (a
// step cut off by its deadline).
func TestSignalDrainCutShort(t *testing.T) {
	s := start(t, "-drain", "1h", "-shutdown-timeout", "200ms")
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	s.expect("shutting down within 200ms")
	stderr, status := s.wait()
	assert.Equal(t, exitFailed, status)
	assert.Contains(t, stderr, "visionserver: cleanup main.process: ")
	assert.Regexp(t, `drain: (failed|abandoned|timed out) after `, stderr)
}

// TestSecondSignal: a second signal ends an hour-long shutdown at once,
// naming the step still running. Slack: "at once" is within 5s of the
// second signal.
func TestSecondSignal(t *testing.T) {
	s := start(t, "-drain", "1h", "-shutdown-timeout", "1h")
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	s.expect("shutting down within 1h")
	sent := time.Now()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGINT))
	stderr, status := s.wait()
	assert.Less(t, time.Since(sent), 5*time.Second)
	assert.Equal(t, exitInterrupted, status)
	assert.Contains(t, stderr, "visionserver: cleanup interrupted: cleanup main.process: ")
	assert.Regexp(t, `drain: (failed|abandoned|timed out) after `, stderr)
}

func checkServes(t *testing.T, url string) {
	t.Helper()
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), "first line %q is not a loopback URL", url)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Post(url+"/v1/sessions", "application/json", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, "open session")
}
