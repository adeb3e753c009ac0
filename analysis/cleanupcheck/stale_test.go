package cleanupcheck_test

import (
	"fmt"
	"go/ast"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/cleanupgen/cleanupgen/analysis/cleanupcheck"
	"github.com/cleanupgen/cleanupgen/generator"
)

// The findings on generated files carry a category; the stale file's
// carries the fix that rewrites it, the others none; the file with no
// client left is reported at the package clause of a source file, where
// golangci-lint, which drops findings in generated files, shows it.
func TestStaleFindings(t *testing.T) {
	dir := testModule(t)
	want := map[string][]byte{
		"stale":        regenerated(t, filepath.Join(dir, "stale"), generator.DefaultOutput),
		"renamedstale": regenerated(t, filepath.Join(dir, "renamedstale"), "cleanup_gen.go"),
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, "./stale", "./renamedstale", "./extra", "./nolint")
	require.NoError(t, err)
	graph, err := checker.Analyze([]*analysis.Analyzer{cleanupcheck.Analyzer}, pkgs, nil)
	require.NoError(t, err)
	var got []string
	for _, act := range graph.Roots {
		require.NoError(t, act.Err)
		pkg := filepath.Base(act.Package.Dir)
		for _, d := range act.Diagnostics {
			if d.Category != "stale" && d.Category != "missing" {
				continue
			}
			p := act.Package.Fset.Position(d.Pos)
			line := fmt.Sprintf("%s/%s:%d %s", pkg, filepath.Base(p.Filename), p.Line, d.Category)
			for _, fix := range d.SuggestedFixes {
				line += fmt.Sprintf(" fix %q", fix.Message)
				for _, e := range fix.TextEdits {
					tf := act.Package.Fset.File(e.Pos)
					onDisk, err := os.ReadFile(tf.Name())
					require.NoError(t, err)
					line += " edits " + filepath.Base(tf.Name())
					assert.Equal(t, 0, tf.Offset(e.Pos), "%s: the edit starts the file", line)
					assert.Equal(t, len(onDisk), tf.Offset(e.End), "%s: the edit ends the file", line)
					assert.Equal(t, string(want[pkg]), string(e.NewText), "%s: the new text is what cleanupgen writes", line)
				}
			}
			got = append(got, line)
		}
	}
	assert.ElementsMatch(t, []string{
		`stale/stale.go:11 stale fix "Regenerate zz_generated_cleanup.go as cleanupgen would" edits zz_generated_cleanup.go`,
		`stale/stale.go:21 stale fix "Regenerate zz_generated_cleanup.go as cleanupgen would" edits zz_generated_cleanup.go`,
		`renamedstale/renamedstale.go:12 stale fix "Regenerate cleanup_gen.go as cleanupgen would" edits cleanup_gen.go`,
		`extra/extra.go:2 stale`,
		`nolint/nolint.go:14 missing`,
	}, got)
}

// No finding is reported in a generated file, where golangci-lint would
// drop it: in every package of testdata/src, those with a stale, renamed,
// current or clientless generated file among them.
func TestNoFindingInGeneratedFiles(t *testing.T) {
	dir := testModule(t)
	entries, err := os.ReadDir(filepath.Join("testdata", "src"))
	require.NoError(t, err)
	var patterns []string
	for _, e := range entries {
		patterns = append(patterns, "./"+e.Name())
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, patterns...)
	require.NoError(t, err)
	graph, err := checker.Analyze([]*analysis.Analyzer{cleanupcheck.Analyzer}, pkgs, nil)
	require.NoError(t, err)
	n := 0
	for _, act := range graph.Roots {
		require.NoError(t, act.Err)
		generated := map[string]bool{}
		for _, f := range act.Package.Syntax {
			generated[act.Package.Fset.File(f.FileStart).Name()] = ast.IsGenerated(f)
		}
		for _, d := range act.Diagnostics {
			n++
			p := act.Package.Fset.Position(d.Pos)
			assert.False(t, generated[p.Filename], "%s: %s: in a generated file", p, d.Message)
		}
	}
	assert.NotZero(t, n)
}

// analysistest applies the fix to the generated file, although it skips
// fixes that edit generated files, and the result is what cleanupgen
// writes (made by running it on a copy). A golden file that differs is
// reported, so the fix is not skipped.
func TestStaleSuggestedFix(t *testing.T) {
	dir := testModule(t)
	files := map[string]string{"stale": generator.DefaultOutput, "renamedstale": "cleanup_gen.go"}
	for pkg, name := range files {
		golden := filepath.Join(dir, pkg, name+".golden")
		require.NoError(t, os.WriteFile(golden, []byte("package "+pkg+"\n"), 0o644))
		var wrong errorRecorder
		analysistest.RunWithSuggestedFixes(&wrong, dir, cleanupcheck.Analyzer, "./"+pkg)
		assert.Contains(t, strings.Join(wrong, "\n"), name, "a golden file that is not what cleanupgen writes")

		require.NoError(t, os.WriteFile(golden, regenerated(t, filepath.Join(dir, pkg), name), 0o644))
	}
	analysistest.RunWithSuggestedFixes(t, dir, cleanupcheck.Analyzer, "./stale", "./renamedstale")
}

// errorRecorder is an analysistest.Testing that keeps the errors.
type errorRecorder []string

func (r *errorRecorder) Errorf(format string, args ...any) {
	*r = append(*r, fmt.Sprintf(format, args...))
}

// regenerated returns what cleanupgen writes for the package in dir into
// the file name, run on a copy of dir outside the module's packages.
func regenerated(t *testing.T, dir, name string) []byte {
	t.Helper()
	cp := filepath.Join(filepath.Dir(dir), "regenerated", filepath.Base(dir))
	require.NoError(t, os.CopyFS(cp, os.DirFS(dir)))
	t.Cleanup(func() { os.RemoveAll(cp) })
	out := ""
	if name != generator.DefaultOutput {
		out = name
	}
	require.NoError(t, generator.Run(generator.Config{Dir: cp, Output: out}))
	want, err := os.ReadFile(filepath.Join(cp, name))
	require.NoError(t, err)
	return want
}

// Each driver's -fix rewrites the stale files as cleanupgen would, once
// for a package analysed with and without its tests, and leaves the file
// of a package with no client alone: only cleanupgen removes it.
func TestStaleFixDrivers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cleanupcheck and runs the go command")
	}
	bin := filepath.Join(t.TempDir(), "cleanupcheck")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/cleanupcheck").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	for _, driver := range []struct {
		name string
		args []string
	}{
		{"cleanupcheck -fix", []string{bin, "-fix"}},
		{"go vet -vettool -fix", []string{"go", "vet", "-vettool=" + bin, "-fix"}},
		{"go fix -fixtool", []string{"go", "fix", "-fixtool=" + bin}},
	} {
		t.Run(driver.name, func(t *testing.T) {
			dir := staleModule(t)
			extra, err := os.ReadFile(filepath.Join(dir, "extra", generator.DefaultOutput))
			require.NoError(t, err)

			cmd := exec.Command(driver.args[0], append(driver.args[1:], "./stale", "./renamedstale", "./extra")...)
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			t.Logf("%s: %v\n%s", driver.name, err, out)

			assert.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, "stale"), Check: true}), "stale: %s", out)
			assert.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, "renamedstale"), Output: "cleanup_gen.go", Check: true}), "renamedstale: %s", out)
			after, err := os.ReadFile(filepath.Join(dir, "extra", generator.DefaultOutput))
			require.NoError(t, err)
			assert.Equal(t, string(extra), string(after), "a fix cannot remove the file of a package with no client")

			// Under go vet, which loads the package's files as they are.
			cmd = exec.Command("go", "vet", "-vettool="+bin, "./stale", "./renamedstale")
			cmd.Dir = dir
			out, err = cmd.CombinedOutput()
			assert.NoError(t, err, "findings left after %s:\n%s", driver.name, out)
		})
	}
}

// staleModule returns a module with the stale, renamedstale and extra
// packages of testdata/src; stale has a test file, so that go vet
// analyses it twice, with and without its tests.
func staleModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, pkg := range []string{"stale", "renamedstale", "extra"} {
		require.NoError(t, os.CopyFS(filepath.Join(dir, pkg), os.DirFS(filepath.Join("testdata", "src", pkg))))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "stale", "stale_test.go"), []byte("package stale\n\nimport \"testing\"\n\nfunc TestClient(t *testing.T) { _ = &Client{} }\n"), 0o644))
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	gomod := "module example.com/ct\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\nreplace github.com/cleanupgen/cleanupgen => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	return dir
}
