package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/generator"
)

const clientSrc = `package client

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	//cleanup:close
	body io.Closer
}
`

// tempModule writes a module that requires this one through a replace
// directive, makes it the current directory, and sets GOFLAGS=-mod=mod so
// that the go command fills in its requirements from the shared module cache.
func tempModule(t *testing.T, files map[string]string) string {
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files["go.mod"] = "module example.com/m\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\n" +
		"replace github.com/cleanupgen/cleanupgen => " + root + "\n"
	files["go.sum"] = string(sum)
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOWORK", "off")
	t.Chdir(dir)
	return dir
}

func runCmd(args ...string) (int, string) {
	var out bytes.Buffer
	code := run(args, &out, &out)
	return code, out.String()
}

func TestBadUsage(t *testing.T) {
	code, out := runCmd("-nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "usage: cleanupgen")
}

func TestGenerateCheckAndStale(t *testing.T) {
	dir := tempModule(t, map[string]string{
		"client/client.go":                 clientSrc,
		"plain/plain.go":                   "package plain\n",
		"plain/" + generator.DefaultOutput: generator.Header + "\n\npackage plain\n",
	})
	gen := filepath.Join(dir, "client", generator.DefaultOutput)
	stale := filepath.Join(dir, "plain", generator.DefaultOutput)

	code, out := runCmd("-check", "./...")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, filepath.Join("client", generator.DefaultOutput)+": missing")
	assert.Contains(t, out, filepath.Join("plain", generator.DefaultOutput)+": extra")
	assert.NoFileExists(t, gen, "-check writes nothing")

	code, out = runCmd("-v", "./...")
	require.Equal(t, 0, code, out)
	assert.FileExists(t, gen)
	assert.NoFileExists(t, stale)
	assert.Contains(t, out, "writing")

	// Unchanged bytes are not rewritten.
	old := time.Now().Add(-time.Hour)
	require.NoError(t, os.Chtimes(gen, old, old))
	code, out = runCmd("-v", "./...")
	require.Equal(t, 0, code, out)
	assert.Contains(t, out, "up to date")
	st, err := os.Stat(gen)
	require.NoError(t, err)
	assert.True(t, st.ModTime().Equal(old), "the file was rewritten")

	code, out = runCmd("-check", "./...")
	assert.Equal(t, 0, code, out)

	// A changed directive makes the file stale.
	src := strings.Replace(clientSrc, "//cleanup:close\n", "//cleanup:close timeout=1s\n", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "client", "client.go"), []byte(src), 0o644))
	code, out = runCmd("-check", "./...")
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, filepath.Join("client", generator.DefaultOutput)+": stale")

	// The default pattern is the package in the current directory.
	t.Chdir(filepath.Join(dir, "client"))
	code, out = runCmd()
	require.Equal(t, 0, code, out)
	b, err := os.ReadFile(gen)
	require.NoError(t, err)
	assert.Contains(t, string(b), "Timeout: 1 * time.Second")

	// A stale generated file that no longer compiles does not block regeneration.
	src = strings.Replace(src, "body io.Closer", "reader io.Closer", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "client", "client.go"), []byte(src), 0o644))
	code, out = runCmd()
	require.Equal(t, 0, code, out)
	b, err = os.ReadFile(gen)
	require.NoError(t, err)
	assert.Contains(t, string(b), "x.reader")

	// -output names another file.
	code, out = runCmd("-output", "cleanup_gen.go")
	assert.Equal(t, 1, code, "two files now declare Close: %s", out)
}

func TestDiagnosticsExitOne(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go": strings.Replace(clientSrc, "//cleanup:close\n", "//cleanup:close Shut timeout=soon\n", 1) +
			"\n//cleanup:client\ntype NoGuard struct{}\n",
	})
	code, out := runCmd("./...")
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.True(t, strings.HasPrefix(lines[0], filepath.Join("client", "client.go")+":12:23: "), "relative path and position: %s", lines[0])
	assert.Contains(t, lines[0], "timeout=")
	assert.Contains(t, lines[1], "no runtime.Guard field")
	assert.NoFileExists(t, filepath.Join("client", generator.DefaultOutput))
}

// TestLoadFailureExitTwo: a package whose client reaches a type error is
// named and not generated; the others are, and the run exits 2. A type
// error that no client reaches stops nothing.
func TestLoadFailureExitTwo(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go": strings.Replace(clientSrc, "body io.Closer", "body io.Closer\n\t//cleanup:close\n\tconn *NotYet", 1),
		"good/good.go":     strings.Replace(clientSrc, "package client", "package good", 1) + "\nvar broken int = \"text\"\n",
	})
	code, out := runCmd("./...")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, filepath.Join("client", "client.go")+":15:8: undefined: NotYet")
	assert.Contains(t, out, "cleanupgen: example.com/m/client: not generated")
	assert.NotContains(t, out, "good.go", "its error reaches no client")
	assert.NoFileExists(t, filepath.Join("client", generator.DefaultOutput))
	assert.FileExists(t, filepath.Join("good", generator.DefaultOutput))
}

// TestFileArgument: cleanupgen FILE.go, what $GOFILE gives a //go:generate
// line, generates the file's package.
func TestFileArgument(t *testing.T) {
	dir := tempModule(t, map[string]string{"client/client.go": clientSrc, "other/other.go": strings.Replace(clientSrc, "package client", "package other", 1)})
	t.Chdir(filepath.Join(dir, "client"))
	code, out := runCmd("client.go")
	assert.Equal(t, 0, code, out)
	assert.FileExists(t, generator.DefaultOutput)
	assert.NoFileExists(t, filepath.Join(dir, "other", generator.DefaultOutput), "only the file's package")

	t.Chdir(dir)
	code, out = runCmd(filepath.Join("other", "other.go"))
	assert.Equal(t, 0, code, out)
	assert.FileExists(t, filepath.Join(dir, "other", generator.DefaultOutput))
	code, out = runCmd("-check", filepath.Join("client", "client.go"), filepath.Join("other", "other.go"))
	assert.Equal(t, 0, code, out)
}

// TestEmptyModuleRoot: at a module root without Go files, the message says
// so, and what to do.
func TestEmptyModuleRoot(t *testing.T) {
	tempModule(t, map[string]string{"client/client.go": clientSrc})
	code, out := runCmd()
	assert.Equal(t, 2, code)
	assert.NotContains(t, out, "not in the main module")
	assert.Regexp(t, `^cleanupgen: no Go files in \S+; run cleanupgen in a package's directory, or give packages \(\./\.\.\. for all of them\)\n$`, out)
}

// TestVersion: -version prints the module's version; a test binary is
// built inside the repository: (devel).
func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 0, run([]string{"-version"}, &stdout, &stderr))
	assert.Equal(t, "cleanupgen github.com/cleanupgen/cleanupgen (devel)\n", stdout.String())
	assert.Empty(t, stderr.String())
}

func TestRefusesHandWrittenFile(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go":                  clientSrc,
		"client/" + generator.DefaultOutput: "package client\n\nfunc mine() {}\n",
		"plain/plain.go":                    "package plain\n",
		"plain/" + generator.DefaultOutput:  "package plain\n",
	})
	code, out := runCmd("./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "lacks the header")
	b, err := os.ReadFile(filepath.Join("client", generator.DefaultOutput))
	require.NoError(t, err)
	assert.Equal(t, "package client\n\nfunc mine() {}\n", string(b))
	assert.FileExists(t, filepath.Join("plain", generator.DefaultOutput), "a file without the header is never removed")
}

func TestTags(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go": clientSrc,
		"client/extra.go":  "//go:build extra\n\npackage client\n\n//cleanup:client\ntype Extra struct{}\n",
	})
	code, out := runCmd("./...")
	require.Equal(t, 0, code, out)
	code, out = runCmd("-tags", "extra", "./...")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "extra.go:5:1: //cleanup:client type Extra has no runtime.Guard field")
}

func TestPackageCallsGeneratedMethods(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go": clientSrc,
		"client/use.go":    "package client\n\nimport \"context\"\n\nfunc shutdown(c *Client) error {\n\t_ = c.Close()\n\treturn c.CloseContext(context.Background())\n}\n",
		"user/user.go": "package user\n\nimport (\n\t\"io\"\n\n\t\"example.com/m/client\"\n)\n\n" +
			"var _ io.Closer = (*client.Client)(nil)\n\nfunc Stop(c *client.Client) error { return c.Close() }\n",
	})
	for range 2 {
		code, out := runCmd("./...")
		require.Equal(t, 0, code, out)
	}
	code, out := runCmd("-check", "./...")
	assert.Equal(t, 0, code, out)
}

func TestUsageErrorsExitTwo(t *testing.T) {
	tempModule(t, map[string]string{
		"a/a.go": clientSrc,
		"b/b.go": clientSrc,
	})
	code, out := runCmd("-output", filepath.Join("a", "out.go"), "./...")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "names a path")

	code, out = runCmd("./nothing/...")
	assert.Equal(t, 2, code)
	assert.Contains(t, out, "nothing")

	code, out = runCmd("-output", filepath.Join("a", "out.go"), "./a")
	require.Equal(t, 0, code, out)
	assert.FileExists(t, filepath.Join("a", "out.go"))
}

// TestGuardBreaksStaleBuild retypes a managed field after generating: the
// build must fail in the generated file until cleanupgen runs again.
func TestGuardBreaksStaleBuild(t *testing.T) {
	dir := tempModule(t, map[string]string{"client/client.go": clientSrc})
	code, out := runCmd("./...")
	require.Equal(t, 0, code, out)
	build := func() (string, error) {
		cmd := exec.Command("go", "build", "./...")
		cmd.Dir = dir
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	out, err := build()
	require.NoError(t, err, out)

	src := strings.Replace(clientSrc, "body io.Closer", "body io.ReadCloser", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "client", "client.go"), []byte(src), 0o644))
	out, err = build()
	require.Error(t, err, "a retyped field must break the build")
	assert.Contains(t, out, generator.DefaultOutput)

	code, out = runCmd("./...")
	require.Equal(t, 0, code, out)
	out, err = build()
	require.NoError(t, err, out)
}

// TestOutputElsewhereExitTwo: -output in another package's directory is
// refused, and nothing is written there.
func TestOutputElsewhereExitTwo(t *testing.T) {
	tempModule(t, map[string]string{
		"a/a.go": clientSrc,
		"b/b.go": "package b\n",
	})
	code, out := runCmd("-output", filepath.Join("b", "out.go"), "./a")
	assert.Equal(t, 2, code, out)
	assert.Contains(t, out, "is not in the package's directory")
	assert.NoFileExists(t, filepath.Join("b", "out.go"))
	assert.NoFileExists(t, filepath.Join("a", "out.go"))
}

// TestLoadFailuresSaidOnce: outside a module and on a syntax error, the
// message is the go command's, once.
func TestLoadFailuresSaidOnce(t *testing.T) {
	tempModule(t, map[string]string{
		"client/client.go":      clientSrc + "\nfunc f( {\n",
		"client/client_test.go": "package client\n",
	})
	code, out := runCmd("./...")
	assert.Equal(t, 2, code)
	assert.Regexp(t, `^client/client.go:16:9: expected '\)', found '\{'\ncleanupgen: example.com/m/client: not generated: [^\n]*\n$`, out)

	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "x.go"), []byte("package x\n"), 0o644))
	t.Chdir(dir)
	t.Setenv("GOFLAGS", "")
	code, out = runCmd()
	assert.Equal(t, 2, code)
	assert.Equal(t, "go: go.mod file not found in current directory or any parent directory; see 'go help modules'\n", out)
}

func TestInternalErrorExitOne(t *testing.T) {
	var stderr bytes.Buffer
	code := exitCode(&stderr, &generator.InternalError{Pkg: "example.com/m/a", Errs: []string{"a/zz_generated_cleanup.go:3:1: undefined: x"}})
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr.String(),
		"cleanupgen: internal error: generated code for example.com/m/a does not compile: a/zz_generated_cleanup.go:3:1: undefined: x\n"), stderr.String())
}

// TestClientTreeCheck: -check passes on a tree of clients across packages
// right after generating it.
func TestClientTreeCheck(t *testing.T) {
	tempModule(t, map[string]string{
		"a/a.go": `package a

import (
	"example.com/m/z"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type A struct {
	guard runtime.Guard
	//cleanup:close
	z *z.Client
}
`,
		"z/z.go": strings.Replace(clientSrc, "package client", "package z", 1),
	})
	code, out := runCmd("./...")
	require.Equal(t, 0, code, out)
	code, out = runCmd("-check", "./...")
	assert.Equal(t, 0, code, out)
}
