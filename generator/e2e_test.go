package generator

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// repoRoot is the root of this module.
func repoRoot(t testing.TB) string {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// tempModule creates a module in a temporary directory that requires this
// one through a replace directive, and copies files into it: name -> content.
// The module cache is shared, so no network is needed.
func tempModule(t testing.TB, files map[string]string) string {
	root := repoRoot(t)
	dir := t.TempDir()
	gomod := "module example.com/e2e\n\ngo 1.26\n\n" +
		"require github.com/cleanupgen/cleanupgen v0.0.0\n\n" +
		"replace github.com/cleanupgen/cleanupgen => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	files["go.mod"] = gomod
	files["go.sum"] = string(sum)
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

// goCmd runs the go command in dir with GOFLAGS=-mod=mod and returns its
// combined output.
func goCmd(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// e2eFiles reads ../testdata/e2e: each NAME.go.txt becomes NAME.go.
func e2eFiles(t testing.TB) map[string]string {
	src := filepath.Join(testdata, "e2e")
	files := map[string]string{}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go.txt") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		files[filepath.ToSlash(strings.TrimSuffix(rel, ".txt"))] = string(b)
		return nil
	})
	require.NoError(t, err)
	return files
}

// TestEndToEnd runs go generate in a module of its own, through the
// //go:generate go run line that users write, then vets the result and runs
// real teardowns against the generated code: an *http.Server forced from
// Shutdown to Close, a connection whose peer never reads, WaitGroups, a
// hanging closer, a generic pool and a tree of clients.
func TestEndToEnd(t *testing.T) {
	dir := tempModule(t, e2eFiles(t))

	out, err := goCmd(t, dir, "generate", "./app")
	require.NoError(t, err, "go generate:\n%s", out)
	gen, err := os.ReadFile(filepath.Join(dir, "app", DefaultOutput))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(gen), Header+"\n"), "the generated file starts with the header")

	// Under go generate, the stale file would be emptied rather than
	// removed (TestGoGenerate); run the command to see it removed.
	out, err = goCmd(t, dir, "run", "github.com/cleanupgen/cleanupgen/cmd/cleanupgen", "-v", "./...")
	require.NoError(t, err, "cleanupgen ./...:\n%s", out)
	assert.Contains(t, out, "removing stale/"+DefaultOutput)
	assert.NoFileExists(t, filepath.Join(dir, "stale", DefaultOutput), "the stale generated file was removed")

	out, err = goCmd(t, dir, "vet", "./...")
	require.NoError(t, err, "go vet:\n%s", out)

	out, err = goCmd(t, dir, "test", "-count=1", "-race", "-v", "./...")
	require.NoError(t, err, "go test:\n%s", out)
	t.Log(out)

	// Other modules run it as a tool: go get -tool adds this line to go.mod.
	f, err := os.OpenFile(filepath.Join(dir, "go.mod"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("\ntool github.com/cleanupgen/cleanupgen/cmd/cleanupgen\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	out, err = goCmd(t, dir, "mod", "tidy")
	require.NoError(t, err, "go mod tidy:\n%s", out)
	out, err = goCmd(t, dir, "tool", "cleanupgen", "-check", "./...")
	require.NoError(t, err, "go tool cleanupgen -check after generating:\n%s", out)
}

// TestGoldenVet runs go vet on every golden output of ../testdata.
func TestGoldenVet(t *testing.T) {
	var pkgs []string
	for _, d := range testdataPackages(t) {
		b, err := os.ReadFile(filepath.Join(testdata, d, DefaultOutput))
		if err == nil && hasHeaderSource(b) {
			pkgs = append(pkgs, "./testdata/"+d)
		}
	}
	require.NotEmpty(t, pkgs)
	cmd := exec.Command("go", append([]string{"vet"}, pkgs...)...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go vet:\n%s", out)
}
