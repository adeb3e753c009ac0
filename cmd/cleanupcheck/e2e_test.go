package main_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// server.go and store.go are what a user writes before running
// cleanupcheck -fix: clients marked, resources not yet directed.
const serverSrc = `package app

import (
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Server accepts connections and echoes what they send.
//
//cleanup:client timeout=2s
type Server struct {
	guard runtime.Guard

	ln   net.Listener
	loop sync.WaitGroup
	sem  chan struct{}
}

// Listen starts the accept loop.
func Listen() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, sem: make(chan struct{}, 8)}
	s.loop.Add(1)
	go func() {
		defer s.loop.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return s, nil
}

// Addr is where it listens.
func (s *Server) Addr() string {
	return s.ln.Addr().String()
}
`

const storeSrc = `package app

import (
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

// Store keeps connections by name.
//
//cleanup:client timeout=2s
type Store struct {
	guard runtime.Guard
	mu    sync.Mutex

	conns map[string]net.Conn
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{conns: map[string]net.Conn{}} }

// Dial connects to addr and keeps the connection under name.
func (s *Store) Dial(name, addr string) error {
	if err := s.guard.Enter(); err != nil {
		return err
	}
	defer s.guard.Leave()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[name] = c
	return nil
}

// Len is the number of connections.
func (s *Store) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}
`

// The test of the module: both clients, used, close with nil. A step
// that hung (a wait before the listener closes, a wait on a channel
// nobody closes) would make Close return an error at its 2s deadline.
const closeTestSrc = `package app

import "testing"

func TestClose(t *testing.T) {
	srv, err := Listen()
	if err != nil {
		t.Fatal(err)
	}
	st := NewStore()
	for _, name := range []string{"a", "b", "c"} {
		if err := st.Dial(name, srv.Addr()); err != nil {
			t.Fatal(err)
		}
	}
	if n := st.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	if err := st.Close(); err != nil {
		t.Errorf("Store.Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("Server.Close: %v", err)
	}
}
`

// cleanupcheck -fix on an accept-loop server and a store with a map of
// connections, then cleanupgen: the generated Close of each returns nil,
// with nothing left to report.
func TestFixThenGenerate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and tests a module")
	}
	bin := build(t)
	root := repoRoot(t)
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files := map[string]string{
		"go.mod":            "module example.com/fix\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\nreplace github.com/cleanupgen/cleanupgen => " + root + "\n",
		"go.sum":            string(sum),
		"app/server.go":     serverSrc,
		"app/store.go":      storeSrc,
		"app/close_test.go": closeTestSrc,
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	run := func(name string, args ...string) (int, string) {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		return exitCode(t, cmd)
	}

	// Once: one run writes every directive with its options (lock= among
	// them), and the guard in the methods, before the first generation
	// (close_test.go calls the Close that cleanupgen is yet to write).
	run(bin, "-guard", "-fix", "./...")
	server, err := os.ReadFile(filepath.Join(dir, "app", "server.go"))
	require.NoError(t, err)
	store, err := os.ReadFile(filepath.Join(dir, "app", "store.go"))
	require.NoError(t, err)
	assert.Regexp(t, `ln\s+net.Listener\s+//cleanup:close order=0\n`, string(server), "the listener closes before the wait")
	assert.Regexp(t, `loop\s+sync.WaitGroup\s+//cleanup:wait\n`, string(server))
	assert.Regexp(t, `sem\s+chan struct{}\n`, string(server), "nobody closes the semaphore: nothing to wait for")
	assert.Regexp(t, `conns\s+map\[string\]net.Conn\s+//cleanup:close lock=mu\n`, string(store))
	assert.Contains(t, string(store), "if s.guard.Enter() != nil {\n\t\treturn 0\n\t}\n\tdefer s.guard.Leave()", "Len enters the guard")

	code, out := run("go", "run", "github.com/cleanupgen/cleanupgen/cmd/cleanupgen", "./...")
	require.Zero(t, code, "cleanupgen:\n%s", out)
	code, out = run(bin, "-guard", "./...")
	assert.Zero(t, code, "findings left after -fix and cleanupgen:\n%s", out)
	code, out = run("go", "test", "-count=1", "-race", "./...")
	assert.Zero(t, code, "go test:\n%s\nserver.go:\n%s\nstore.go:\n%s", out, server, store)
	assert.False(t, strings.Contains(out, "FAIL"), "%s", out)
}

// Before the first generation, code and tests that use the generated Close
// type-check against cleanupgen's stand-ins: the analysis runs and reports,
// where it used to print the type errors and skip the package.
func TestBeforeFirstGeneration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and analyses a module")
	}
	bin := build(t)
	root := repoRoot(t)
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files := map[string]string{
		"go.mod": "module example.com/first\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\nreplace github.com/cleanupgen/cleanupgen => " + root + "\n",
		"go.sum": string(sum),
		"app/app.go": `package app

import (
	"io"
	"net"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	conn  net.Conn
}

var _ io.Closer = (*Client)(nil)

// Closer returns c as the io.Closer it is once generated.
func Closer(c *Client) io.Closer { return c }
`,
		"app/app_test.go": `package app

import "testing"

func TestClose(t *testing.T) {
	c := &Client{}
	defer c.Close()
	if err := c.CloseContext(t.Context()); err != nil {
		t.Fatal(err)
	}
}
`,
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	}
	cmd := exec.Command(bin, "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	code, out := exitCode(t, cmd)
	assert.Equal(t, 3, code, "findings, and nothing else:\n%s", out)
	assert.NotContains(t, out, "undefined", "%s", out)
	assert.NotContains(t, out, "does not implement", "%s", out)
	assert.NotContains(t, out, "analysis skipped", "%s", out)
	assert.Contains(t, out, "field conn of Client holds a resource", "%s", out)
	assert.Contains(t, out, "zz_generated_cleanup.go is missing for //cleanup:client Client", "%s", out)
	_, err = os.Stat(filepath.Join(dir, "app", "zz_generated_cleanup.go"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the stand-in is no file of the package")
}
