package cleanupcheck_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cleanupgen/cleanupgen/analysis/cleanupcheck"
	"github.com/cleanupgen/cleanupgen/generator"
)

// gopath returns a GOPATH tree for analysistest: a copy of testdata, the
// real runtime package (standard library only), so that generated code
// type-checks, and, in uptodate, the file that cleanupgen writes now.
func gopath(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS("testdata")))
	rt := filepath.Join(dir, "src", filepath.FromSlash(generator.RuntimePath))
	require.NoError(t, os.MkdirAll(rt, 0o755))
	runtimeDir := filepath.Join("..", "..", "runtime")
	entries, err := os.ReadDir(runtimeDir)
	require.NoError(t, err)
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(runtimeDir, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(rt, e.Name()), src, 0o644))
	}

	t.Setenv("GOPATH", dir)
	t.Setenv("GO111MODULE", "off")
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "")
	require.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, "src", "uptodate")}))
	_, err = os.Stat(filepath.Join(dir, "src", "uptodate", generator.DefaultOutput))
	require.NoError(t, err, "cleanupgen wrote no file for uptodate")
	return dir
}

func TestAnalyzer(t *testing.T) {
	dir := gopath(t)
	analysistest.Run(t, dir, cleanupcheck.Analyzer, "directives", "stale", "extra", "uptodate")
}

func TestSuggestedFixes(t *testing.T) {
	dir := gopath(t)
	analysistest.RunWithSuggestedFixes(t, dir, cleanupcheck.Analyzer, "resources")
}

// The golden files are the inputs with the fixes applied: check that they
// are what a user would want, a package with nothing left to report but the
// missing generated file.
func TestGoldenIsClean(t *testing.T) {
	dir := gopath(t)
	err := filepath.WalkDir(filepath.Join(dir, "src", "resources"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".go.golden") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fixed := strings.TrimSuffix(path, ".golden")
		clean := filepath.Join(dir, "src", "fixed", filepath.Base(fixed))
		if err := os.MkdirAll(filepath.Dir(clean), 0o755); err != nil {
			return err
		}
		// Keep only the expectations of the diagnostics a fix does not remove.
		var lines []string
		for line := range strings.Lines(string(src)) {
			if strings.Contains(line, "// want +1") {
				continue
			}
			lines = append(lines, strings.ReplaceAll(line, "package resources", "package fixed"))
		}
		return os.WriteFile(clean, []byte(strings.Join(lines, "")), 0o644)
	})
	require.NoError(t, err)
	analysistest.Run(t, dir, cleanupcheck.Analyzer, "fixed")
}
