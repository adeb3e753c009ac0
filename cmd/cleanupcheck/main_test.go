package main_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/generator"
)

// build compiles cleanupcheck into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cleanupcheck")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// repoRoot is the module root, two levels up.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	return root
}

// exitCode runs cmd and returns its exit code and combined output.
func exitCode(t *testing.T, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), out.String()
	}
	require.NoError(t, err, "%s", out.String())
	return 0, out.String()
}

// Alone, cleanupcheck exits non-zero and prints file:line:col: message for
// each finding, and 0 for a clean package.
func TestStandalone(t *testing.T) {
	bin := build(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	rt := filepath.Join(src, filepath.FromSlash(generator.RuntimePath))
	require.NoError(t, os.MkdirAll(rt, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(rt, "runtime.go"), []byte("package runtime\n\ntype Guard struct{}\n"), 0o644))
	write := func(pkg, text string) {
		require.NoError(t, os.MkdirAll(filepath.Join(src, pkg), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(src, pkg, pkg+".go"), []byte(text), 0o644))
	}
	write("leaky", `package leaky

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client struct {
	guard runtime.Guard
	r     io.Closer
}
`)
	write("plain", "package plain\n\n// T is no client.\ntype T struct{ n int }\n")
	env := append(os.Environ(), "GOPATH="+dir, "GO111MODULE=off", "GOWORK=off", "GOFLAGS=")

	cmd := exec.Command(bin, "leaky")
	cmd.Dir, cmd.Env = src, env
	code, out := exitCode(t, cmd)
	assert.NotZero(t, code, "%s", out)
	assert.Regexp(t, `leaky\.go:12:2: field r of Client holds a resource \(io\.Closer has a Close method\)`, out)
	assert.Regexp(t, `leaky\.go:10:6: zz_generated_cleanup\.go is missing for //cleanup:client Client`, out)

	cmd = exec.Command(bin, "plain")
	cmd.Dir, cmd.Env = src, env
	code, out = exitCode(t, cmd)
	assert.Zero(t, code, "%s", out)
}

var finding = regexp.MustCompile(`(?m)^(\S+\.go):\d+:\d+: (.*)$`)

// go vet -vettool=cleanupcheck ./... on this module finds nothing but the
// generated files that cleanupgen -check also finds out of date: the
// repository's clients have a directive on every resource.
func TestRepository(t *testing.T) {
	if testing.Short() {
		t.Skip("vets the whole module")
	}
	bin := build(t)
	root := repoRoot(t)
	cmd := exec.Command("go", "vet", "-vettool="+bin, "./...")
	cmd.Dir = root
	_, out := exitCode(t, cmd)

	var got []string
	for _, m := range finding.FindAllStringSubmatch(out, -1) {
		if !strings.Contains(m[2], "zz_generated_cleanup.go is stale: it differs") && !strings.Contains(m[2], "zz_generated_cleanup.go is missing") {
			t.Errorf("finding in the repository: %s", m[0])
			continue
		}
		got = append(got, filepath.Dir(m[1]))
	}
	if t.Failed() {
		t.Logf("go vet output:\n%s", out)
	}

	// What cleanupgen -check reports, one directory per stale or missing
	// file: a line "\tPATH: stale" or "\tPATH: missing" under ErrStale,
	// PATH relative to the working directory.
	err := generator.Run(generator.Config{Dir: root, Patterns: []string{"./..."}, Check: true})
	var want []string
	if err != nil {
		require.ErrorIs(t, err, generator.ErrStale)
		var load *generator.LoadError
		require.False(t, errors.As(err, &load), "cleanupgen -check: %v", err)
		wd, werr := os.Getwd()
		require.NoError(t, werr)
		for _, line := range strings.Split(err.Error(), "\n")[1:] {
			path, ok := strings.CutSuffix(strings.TrimPrefix(line, "\t"), ": stale")
			if !ok {
				path, ok = strings.CutSuffix(strings.TrimPrefix(line, "\t"), ": missing")
			}
			if !ok {
				continue // an extra file: no finding of this test's kind
			}
			if !filepath.IsAbs(path) {
				path = filepath.Join(wd, path)
			}
			rel, rerr := filepath.Rel(root, filepath.Dir(path))
			require.NoError(t, rerr)
			want = append(want, rel)
		}
	}
	if len(want) > 0 {
		t.Logf("out of date per cleanupgen too (run go generate): %s", strings.Join(want, ", "))
	}
	assert.Equal(t, dedupe(want), dedupe(got), "stale generated files: cleanupcheck and cleanupgen disagree\n%s", out)
}

func dedupe(dirs []string) []string {
	set := map[string]bool{}
	for _, d := range dirs {
		set[filepath.Clean(d)] = true
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}
