package generator

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests run cleanupgen on real module layouts: clients across
// packages, code that uses the generated methods before they exist, build
// configurations, test files, and the failures a run must turn into a clear
// message with nothing written.

// clientSource is a package with one client named name, extra appended.
func clientSource(pkg, name, extra string) string {
	return "package " + pkg + `

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type ` + name + ` struct {
	guard runtime.Guard
	//cleanup:close
	body io.Closer
}
` + extra
}

// layoutModule is tempModule with the environment the go command needs in
// it, for Run.
func layoutModule(t *testing.T, files map[string]string) string {
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOWORK", "off")
	return tempModule(t, files)
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// requireBuilds runs go vet (which builds the package and its tests) with args.
func requireBuilds(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := goCmd(t, dir, append([]string{"vet"}, args...)...)
	require.NoError(t, err, "go vet %s:\n%s", strings.Join(args, " "), out)
}

// TestClientTree: a client whose field is a client of another package, in
// a directory that sorts before it. Generation and -check agree in any order.
func TestClientTree(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"app/app.go": `package app

import (
	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type App struct {
	guard runtime.Guard
	//cleanup:close
	lib *lib.Lib
	//cleanup:close CloseContext
	other *lib.Lib
}
`,
		"lib/lib.go": clientSource("lib", "Lib", ""),
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.FileExists(t, filepath.Join(dir, "app", DefaultOutput))
	assert.FileExists(t, filepath.Join(dir, "lib", DefaultOutput))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}), "-check right after generating")
	requireBuilds(t, dir, "./...")

	// The dependent alone, and in either order.
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./app"}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./lib", "./app"}, Check: true}))
}

// TestClientTreeFirstGeneration: the dependent alone, before its
// dependency was ever generated, and a stale dependency.
func TestClientTreeFirstGeneration(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"app/app.go": `package app

import (
	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type App struct {
	guard runtime.Guard
	//cleanup:close
	lib *lib.Lib
}
`,
		"lib/lib.go":           clientSource("lib", "Lib", ""),
		"lib/" + DefaultOutput: Header + "\n\npackage lib\n\nfunc (x *Lib) Close() error { return x.gone }\n",
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./app"}}))
	assert.FileExists(t, filepath.Join(dir, "app", DefaultOutput))
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", DefaultOutput)), "x.gone", "./app alone leaves lib's file alone")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")
}

// TestFirstGeneration: code that uses the generated methods in every way Go
// allows, in the package and in a dependent, before the first generation
// and after a client type is renamed.
func TestFirstGeneration(t *testing.T) {
	uses := `
var _ io.Closer = (*Client)(nil)

func open() io.Closer { return &Client{} }

func take(io.Closer) {}

func pass(c *Client) { take(c) }

func stop(c *Client) error {
	defer c.Close()
	return c.CloseContext(context.Background())
}

// Outer embeds the client and calls its Close.
type Outer struct{ *Client }

func (o Outer) Stop() error { return o.Close() }

//cleanup:client
type Pool[E any, K comparable] struct {
	guard runtime.Guard
	//cleanup:nil
	items map[K]E
}

var _ io.Closer = (*Pool[int, string])(nil)
`
	src := strings.Replace(clientSource("lib", "Client", uses), "import (\n", "import (\n\t\"context\"\n", 1)
	dir := layoutModule(t, map[string]string{
		"lib/lib.go": src,
		"user/user.go": `package user

import (
	"context"
	"io"

	"example.com/e2e/lib"
)

var _ io.Closer = (*lib.Client)(nil)

var _ interface{ CloseContext(context.Context) error } = lib.Outer{}

func Stop(c *lib.Client) error { return c.Close() }
`,
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")

	// Rename the client: the generated file names a type that is gone.
	for _, name := range []string{"lib/lib.go", "user/user.go"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(strings.ReplaceAll(readFile(t, path), "Client", "Conn")), 0o644))
	}
	_, err := goCmd(t, dir, "build", "./...")
	require.Error(t, err, "the stale generated file breaks the build")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", DefaultOutput)), "func (x *Conn) Close() error")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")
}

// TestDeclaredCloseStaysADiagnostic: the stubs never hide a Close that the
// package declares itself, whatever the file.
func TestDeclaredCloseStaysADiagnostic(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go":   clientSource("lib", "Client", "\nfunc (c *Client) Close() error { return nil }\n"),
		"lib/other.go": clientSource("lib", "Other", ""),
		"lib/ctx.go":   "package lib\n\nfunc (o *Other) CloseContext() {}\n",
	})
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var ds Diagnostics
	require.ErrorAs(t, err, &ds)
	assert.Contains(t, err.Error(), "Client already declares Close")
	assert.Contains(t, err.Error(), "Other already declares CloseContext")
	assert.NoFileExists(t, filepath.Join(dir, "lib", DefaultOutput))
}

// TestBuildConfigurations: clients in files with a build constraint get a
// generated file with the same constraint, which runs in other
// configurations neither rewrite nor remove.
func TestBuildConfigurations(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go":        clientSource("lib", "Client", ""),
		"lib/extra.go":      "//go:build foo\n\n" + clientSource("lib", "Extra", ""),
		"lib/conn_linux.go": clientSource("lib", "LinuxConn", ""),
		"lib/plain_foo.go":  "//go:build foo\n\npackage lib\n\nvar _ = (*Extra).Close\n",
	})
	gen := func(name string) string { return filepath.Join(dir, "lib", name) }
	t.Setenv("GOOS", "linux")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Tags: "foo"}))
	extra := readFile(t, gen("zz_generated_cleanup_extra.go"))
	assert.True(t, strings.HasPrefix(extra, Header+"\n\n//go:build foo\n\npackage lib\n"), "the constraint is copied:\n%s", extra)
	assert.Contains(t, extra, "func (x *Extra) Close() error")
	assert.NotContains(t, readFile(t, gen(DefaultOutput)), "Extra")
	linux := readFile(t, gen("zz_generated_cleanup_conn_linux.go"))
	assert.Contains(t, linux, "func (x *LinuxConn) Close() error")
	assert.NotContains(t, linux, "//go:build", "the file name carries the constraint")

	requireBuilds(t, dir, "./...")
	requireBuilds(t, dir, "-tags", "foo", "./...")

	// Without the tag: the tagged file is neither removed nor rewritten.
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Equal(t, extra, readFile(t, gen("zz_generated_cleanup_extra.go")))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Tags: "foo", Check: true}))

	// Another GOOS leaves the linux file alone.
	t.Setenv("GOOS", "darwin")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Equal(t, linux, readFile(t, gen("zz_generated_cleanup_conn_linux.go")))
	requireBuilds(t, dir, "./...")

	// A client that leaves a constrained file takes its generated file
	// with it, in that file's configuration.
	t.Setenv("GOOS", "linux")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lib", "extra.go"), []byte("//go:build foo\n\npackage lib\n\ntype Extra struct{}\n\nfunc (*Extra) Close() error { return nil }\n"), 0o644))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.FileExists(t, gen("zz_generated_cleanup_extra.go"), "not this configuration's")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Tags: "foo"}))
	assert.NoFileExists(t, gen("zz_generated_cleanup_extra.go"))
	requireBuilds(t, dir, "-tags", "foo", "./...")
}

func TestOutputNames(t *testing.T) {
	n := newOutputNames(DefaultOutput)
	for _, tc := range []struct {
		src, build string
		xtest      bool
		name, line string
	}{
		{src: "a.go", name: "zz_generated_cleanup.go"},
		{src: "a_test.go", name: "zz_generated_cleanup_test.go"},
		{src: "a_test.go", xtest: true, name: "zz_generated_cleanup_x_test.go"},
		{src: "extra.go", build: "//go:build foo", name: "zz_generated_cleanup_extra.go", line: "//go:build foo"},
		{src: "conn_linux.go", name: "zz_generated_cleanup_conn_linux.go"},
		{src: "conn_linux_arm64.go", name: "zz_generated_cleanup_conn_linux_arm64.go"},
		{src: "conn_linux_test.go", xtest: true, name: "zz_generated_cleanup_conn_linux_test.go"},
		{src: "conn_windows.go", build: "//go:build !foo", name: "zz_generated_cleanup_conn_windows.go", line: "//go:build !foo"},
		// Names whose constraint would change under the prefix.
		{src: "linux.go", build: "//go:build foo", name: "zz_generated_cleanup-linux.go", line: "//go:build foo"},
		{src: "linux_amd64.go", name: "zz_generated_cleanup-linux-amd64.go", line: "//go:build amd64"},
		{src: "linux_amd64.go", build: "//go:build foo || bar", name: "zz_generated_cleanup-linux-amd64.go", line: "//go:build (foo || bar) && amd64"},
		{src: "test.go", build: "//go:build foo", name: "zz_generated_cleanup-test.go", line: "//go:build foo"},
		{src: "x_test.go", build: "//go:build foo", name: "zz_generated_cleanup-x_test.go", line: "//go:build foo"},
	} {
		name, line := n.output(tc.src, tc.build, tc.xtest)
		assert.Equal(t, tc.name, name, "%s %q", tc.src, tc.build)
		assert.Equal(t, tc.line, line, "%s %q", tc.src, tc.build)
		assert.True(t, n.owns(name), name)
	}
	assert.False(t, n.owns("zz_generated_cleanupx.go"))
	for _, bad := range []string{"gen", "gen_test.go", "gen_linux.go", "_gen.go", ".gen.go", ".go"} {
		assert.Error(t, checkOutputName(bad), bad)
	}
	assert.NoError(t, checkOutputName("cleanup_gen.go"))
}

// TestTestFiles: clients in _test.go files, of the package and of its
// external test package, each get their own file, once.
func TestTestFiles(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go": clientSource("lib", "Client", ""),
		"lib/lib_test.go": `package lib

import (
	"context"
	"testing"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type fixture struct {
	guard runtime.Guard
	//cleanup:cancel
	cancel context.CancelFunc
	//cleanup:close
	client *Client
}

func TestFixture(t *testing.T) {
	_, cancel := context.WithCancel(context.Background())
	f := &fixture{cancel: cancel, client: &Client{}}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
`,
		"lib/x_test.go": `package lib_test

import (
	"testing"

	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type harness struct {
	guard runtime.Guard
	//cleanup:close
	client *lib.Client
}

func TestHarness(t *testing.T) {
	h := &harness{client: &lib.Client{}}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
}
`,
	})
	files, err := generateFiles(Config{Dir: dir, Patterns: []string{"./..."}})
	require.NoError(t, err)
	written := map[string]int{}
	for _, f := range files {
		if f.Content != nil {
			written[filepath.Base(f.Path)]++
		}
	}
	assert.Equal(t, map[string]int{DefaultOutput: 1, "zz_generated_cleanup_test.go": 1, "zz_generated_cleanup_x_test.go": 1}, written)

	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	lib := readFile(t, filepath.Join(dir, "lib", DefaultOutput))
	assert.NotContains(t, lib, "fixture")
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", "zz_generated_cleanup_test.go")), "\npackage lib\n")
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", "zz_generated_cleanup_x_test.go")), "\npackage lib_test\n")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	out, err := goCmd(t, dir, "test", "-count=1", "./...")
	require.NoError(t, err, "go test:\n%s", out)

	// Without test clients, their files go.
	require.NoError(t, os.Remove(filepath.Join(dir, "lib", "x_test.go")))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.NoFileExists(t, filepath.Join(dir, "lib", "zz_generated_cleanup_x_test.go"))
	assert.FileExists(t, filepath.Join(dir, "lib", "zz_generated_cleanup_test.go"))
}

// TestBrokenTestFileDoesNotBlock: a _test.go file that does not compile, and
// has no directive, does not stop generation for the package.
func TestBrokenTestFileDoesNotBlock(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go":      clientSource("lib", "Client", ""),
		"lib/lib_test.go": "package lib\n\nvar broken int = \"text\"\n",
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.FileExists(t, filepath.Join(dir, "lib", DefaultOutput))
}

// TestOutputDoesNotCompile plants an emitter bug: the run reports it as a
// bug and writes nothing, neither the broken file nor the good ones.
func TestOutputDoesNotCompile(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"a/a.go": clientSource("a", "A", ""),
		"b/b.go": clientSource("b", "B", ""),
	})
	stale := Header + "\n\npackage b\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b", DefaultOutput), []byte(stale), 0o644))
	testHookOutput = func(path string, src []byte) []byte {
		if filepath.Base(filepath.Dir(path)) == "b" {
			return append(src, "\nvar _ = x.body\n"...)
		}
		return src
	}
	t.Cleanup(func() { testHookOutput = nil })
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var ie *InternalError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, "example.com/e2e/b", ie.Pkg)
	assert.Regexp(t, `^internal error: generated code for example.com/e2e/b does not compile: \S*b/zz_generated_cleanup.go:\d+:\d+: undefined: x`, err.Error())
	assert.NoFileExists(t, filepath.Join(dir, "a", DefaultOutput))
	assert.Equal(t, stale, readFile(t, filepath.Join(dir, "b", DefaultOutput)))

	// -check does not call it stale: it is a bug.
	err = Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true})
	require.ErrorAs(t, err, &ie)
	assert.False(t, errors.Is(err, ErrStale))
}

// TestNothingWrittenOnDiagnostics: a diagnostic in one package stops the
// writes of every package.
func TestNothingWrittenOnDiagnostics(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"a/a.go": clientSource("a", "A", ""),
		"b/b.go": strings.Replace(clientSource("b", "B", ""), "//cleanup:close", "//cleanup:close timeout=soon", 1),
	})
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var ds Diagnostics
	require.ErrorAs(t, err, &ds)
	assert.NoFileExists(t, filepath.Join(dir, "a", DefaultOutput))
}

// TestCRLF: a generated file checked out with CRLF line endings is current.
func TestCRLF(t *testing.T) {
	dir := layoutModule(t, map[string]string{"lib/lib.go": clientSource("lib", "Client", "")})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	path := filepath.Join(dir, "lib", DefaultOutput)
	crlf := strings.ReplaceAll(readFile(t, path), "\n", "\r\n")
	require.NoError(t, os.WriteFile(path, []byte(crlf), 0o644))
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(path, old, old))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Equal(t, crlf, readFile(t, path), "not rewritten")

	assert.True(t, SameGenerated([]byte("a\r\nb\r\n"), []byte("a\nb\n")))
	assert.False(t, SameGenerated([]byte("a\r\nb\r\n"), []byte("a\nc\n")))
}

// TestOutputElsewhere: -output naming another package's directory, or a
// name the go command would not compile as intended, is bad usage.
func TestOutputElsewhere(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"a/a.go": clientSource("a", "A", ""),
		"b/b.go": "package b\n",
	})
	for _, output := range []string{filepath.Join("b", "out.go"), filepath.Join(dir, "out.go"), "out_test.go", "out_linux.go", "_out.go"} {
		err := Run(Config{Dir: dir, Patterns: []string{"./a"}, Output: output})
		var ue *UsageError
		require.ErrorAs(t, err, &ue, output)
	}
	assert.NoFileExists(t, filepath.Join(dir, "b", "out.go"))
	assert.NoFileExists(t, filepath.Join(dir, "out.go"))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./a"}, Output: filepath.Join("a", "out.go")}))
	assert.FileExists(t, filepath.Join(dir, "a", "out.go"))
}

// TestLoadErrorsOnce: the go command's failures and syntax errors are said
// as the go command says them, once.
func TestLoadErrorsOnce(t *testing.T) {
	t.Run("outside a module", func(t *testing.T) {
		t.Setenv("GOFLAGS", "")
		t.Setenv("GO111MODULE", "")
		t.Setenv("GOWORK", "off")
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n"), 0o644))
		err := Run(Config{Dir: dir})
		var le *LoadError
		require.ErrorAs(t, err, &le)
		assert.Equal(t, []string{"go: go.mod file not found in current directory or any parent directory; see 'go help modules'"}, le.Errs)
	})
	t.Run("syntax error", func(t *testing.T) {
		dir := layoutModule(t, map[string]string{
			"lib/lib.go":      clientSource("lib", "Client", "\nfunc f( {\n"),
			"lib/lib_test.go": "package lib\n",
		})
		err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
		var le *LoadError
		require.ErrorAs(t, err, &le)
		require.Len(t, le.Errs, 1, err.Error())
		assert.Regexp(t, `lib/lib.go:\d+:\d+: expected '\)', found '\{'$`, le.Errs[0])
	})
}

// TestOnlyTheMainModule: a pattern naming a dependency is refused before
// anything is loaded or written.
func TestOnlyTheMainModule(t *testing.T) {
	dir := layoutModule(t, map[string]string{"lib/lib.go": clientSource("lib", "Client", "")})
	err := Run(Config{Dir: dir, Patterns: []string{"./...", RuntimePath}})
	var le *LoadError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, []string{"cleanupgen: " + RuntimePath + " is not in the main module; cleanupgen writes only into the module it runs in"}, le.Errs)
	assert.NoFileExists(t, filepath.Join(dir, "lib", DefaultOutput))
}
