package cleanupcheck_test

import (
	"os"
	"path/filepath"
	"regexp"
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

// testModule returns a module for analysistest: a copy of testdata/src
// whose go.mod requires this repository through a replace directive (so
// that the real runtime package, standard library only, is imported and
// generated code type-checks), and, in uptodate, the file that cleanupgen
// writes now.
func testModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "src"))))
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	gomod := "module example.com/ct\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\nreplace github.com/cleanupgen/cleanupgen => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))

	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	for _, pkg := range generated {
		require.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, pkg)}))
		_, err = os.Stat(filepath.Join(dir, pkg, generator.DefaultOutput))
		require.NoError(t, err, "cleanupgen wrote no file for %s", pkg)
	}
	require.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, "output"), Output: "cleanup_gen.go"}))
	_, err = os.Stat(filepath.Join(dir, "output", "cleanup_gen.go"))
	require.NoError(t, err, "cleanupgen -output wrote no file for output")
	return dir
}

// The tests check every rule, those behind -guard included.
func TestMain(m *testing.M) {
	if err := cleanupcheck.Analyzer.Flags.Set("guard", "true"); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func TestAnalyzer(t *testing.T) {
	dir := testModule(t)
	analysistest.Run(t, dir, cleanupcheck.Analyzer, "./adopt", "./directives", "./stale", "./extra", "./emptied", "./uptodate", "./nolint", "./output", "./renamedstale")
}

func TestSuggestedFixes(t *testing.T) {
	dir := testModule(t)
	analysistest.RunWithSuggestedFixes(t, dir, cleanupcheck.Analyzer, fixedPatterns()...)
}

// generated are the packages that testModule runs cleanupgen in: their
// generated file is current.
var generated = []string{"uptodate", "guards"}

// fixed are the packages with .golden files.
var fixed = []string{"resources", "missed", "loop", "guards", "adopt"}

// The golden files are the inputs with the fixes applied: check that they
// are what a user would want, a package with nothing left to report but
// what no fix could do (the missing generated file, the findings that come
// without a fix).
func TestFixesLeaveNothing(t *testing.T) {
	dir := testModule(t)
	want := regexp.MustCompile(`(?m)^\s*// want \+\d+ .*\n|\s*// want .*$`)
	for _, pkg := range fixed {
		src := filepath.Join(dir, pkg)
		entries, err := os.ReadDir(src)
		require.NoError(t, err)
		dst := filepath.Join(dir, "fixed", pkg)
		require.NoError(t, os.MkdirAll(dst, 0o755))
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") {
				continue
			}
			text, err := os.ReadFile(filepath.Join(src, name))
			require.NoError(t, err)
			if golden, err := os.ReadFile(filepath.Join(src, name+".golden")); err == nil {
				text = golden
			}
			require.NoError(t, os.WriteFile(filepath.Join(dst, name), want.ReplaceAll(text, nil), 0o644))
		}
	}
	patterns := make([]string, len(fixed))
	for i, pkg := range fixed {
		patterns[i] = "./" + pkg
	}
	unfixable := map[string]bool{}
	for _, d := range diagnose(t, dir, patterns...) {
		if len(d.SuggestedFixes) == 0 {
			unfixable[d.Message] = true
		}
	}
	for i := range patterns {
		patterns[i] = "./fixed/" + fixed[i]
	}
	for _, d := range diagnose(t, dir, patterns...) {
		// A fix that changes a directive makes the generated file stale;
		// one that completes a client makes it missing, where cleanupgen
		// reported the client's mistakes before.
		stale := strings.Contains(d.Message, "is stale: it differs from what cleanupgen writes now") ||
			strings.Contains(d.Message, "zz_generated_cleanup.go is missing for //cleanup:client")
		assert.True(t, unfixable[d.Message] || stale, "left after the fixes: %s", d.Message)
	}
}

// diagnose runs the analyzer on the packages of the module in dir.
func diagnose(t *testing.T, dir string, patterns ...string) []analysis.Diagnostic {
	t.Helper()
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, patterns...)
	require.NoError(t, err)
	require.Len(t, pkgs, len(patterns))
	for _, p := range pkgs {
		for _, e := range p.Errors {
			// A Close that a method= fix makes call the method that
			// cleanupgen is yet to generate: the analyzer runs despite it.
			if !strings.Contains(e.Msg, "closeContext undefined") {
				t.Errorf("%s: %v", p.PkgPath, e)
			}
		}
	}
	graph, err := checker.Analyze([]*analysis.Analyzer{cleanupcheck.Analyzer}, pkgs, nil)
	require.NoError(t, err)
	var out []analysis.Diagnostic
	for _, act := range graph.Roots {
		require.NoError(t, act.Err)
		out = append(out, act.Diagnostics...)
	}
	return out
}

func fixedPatterns() []string {
	var out []string
	for _, pkg := range fixed {
		out = append(out, "./"+pkg)
	}
	return out
}
