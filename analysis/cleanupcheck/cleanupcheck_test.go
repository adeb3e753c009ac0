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
	require.NoError(t, generator.Run(generator.Config{Dir: filepath.Join(dir, "uptodate")}))
	_, err = os.Stat(filepath.Join(dir, "uptodate", generator.DefaultOutput))
	require.NoError(t, err, "cleanupgen wrote no file for uptodate")
	return dir
}

func TestAnalyzer(t *testing.T) {
	dir := testModule(t)
	analysistest.Run(t, dir, cleanupcheck.Analyzer, "./directives", "./stale", "./extra", "./uptodate")
}

func TestSuggestedFixes(t *testing.T) {
	dir := testModule(t)
	analysistest.RunWithSuggestedFixes(t, dir, cleanupcheck.Analyzer, "./resources")
}

// The golden files are the inputs with the fixes applied: check that they
// are what a user would want, a package with nothing left to report but the
// missing generated file.
func TestGoldenIsClean(t *testing.T) {
	dir := testModule(t)
	err := filepath.WalkDir(filepath.Join(dir, "resources"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(path, ".go.golden") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fixed := strings.TrimSuffix(path, ".golden")
		clean := filepath.Join(dir, "fixed", filepath.Base(fixed))
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
	analysistest.Run(t, dir, cleanupcheck.Analyzer, "./fixed")
}
