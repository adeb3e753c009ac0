package generator

import (
	"flag"
	"go/format"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in ../testdata")

const testdata = "../testdata"

// diagnosticsGolden holds the expected diagnostics of a package that must not
// generate; zz_generated_cleanup.go holds the expected output of one that must.
const diagnosticsGolden = "diagnostics.golden"

// testdataPackages lists the directories of ../testdata that hold a package.
func testdataPackages(t testing.TB) []string {
	entries, err := os.ReadDir(testdata)
	require.NoError(t, err)
	var dirs []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		gofiles, _ := filepath.Glob(filepath.Join(testdata, e.Name(), "*.go"))
		if len(gofiles) > 0 {
			dirs = append(dirs, e.Name())
		}
	}
	require.NotEmpty(t, dirs)
	return dirs
}

// formatDiagnostics renders ds with file base names, so that the golden
// files do not depend on where the test runs.
func formatDiagnostics(ds Diagnostics) string {
	var b strings.Builder
	for _, d := range ds {
		d.Pos.Filename = filepath.Base(d.Pos.Filename)
		b.WriteString(d.String() + "\n")
	}
	return b.String()
}

// TestGolden generates every package of ../testdata in one run and compares
// the output with zz_generated_cleanup.go, or the diagnostics with
// diagnostics.golden. go test ./generator -update rewrites both.
func TestGolden(t *testing.T) {
	dirs := testdataPackages(t)
	patterns := make([]string, len(dirs))
	for i, d := range dirs {
		patterns[i] = "./" + d
	}
	results, err := generate(Config{Dir: testdata, Patterns: patterns})
	require.NoError(t, err)
	byDir := map[string]result{}
	for _, r := range results {
		byDir[filepath.Base(filepath.Dir(r.file.Path))] = r
	}
	for _, dir := range dirs {
		t.Run(dir, func(t *testing.T) {
			r, ok := byDir[dir]
			genPath := filepath.Join(testdata, dir, DefaultOutput)
			diagPath := filepath.Join(testdata, dir, diagnosticsGolden)
			if !ok { // nothing to write, nothing to remove, nothing to report
				assert.NoFileExists(t, diagPath, "expected diagnostics, got none")
				if want, err := os.ReadFile(genPath); err == nil {
					assert.False(t, hasHeaderSource(want), "a package without clients has a generated file")
				}
				return
			}
			if *update {
				updateGolden(t, r, genPath, diagPath)
				return
			}
			if len(r.diags) > 0 {
				want, err := os.ReadFile(diagPath)
				require.NoError(t, err, "unexpected diagnostics:\n%s", formatDiagnostics(r.diags))
				assert.Equal(t, string(want), formatDiagnostics(r.diags))
				assert.Nil(t, r.file.Content)
				return
			}
			assert.NoFileExists(t, diagPath, "expected diagnostics, got none")
			want, err := os.ReadFile(genPath)
			if r.file.Content == nil {
				if err == nil {
					assert.False(t, hasHeaderSource(want), "a package without clients has a generated file")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, string(want), string(r.file.Content))
			formatted, err := format.Source(r.file.Content)
			require.NoError(t, err)
			assert.Equal(t, string(formatted), string(r.file.Content), "the output is gofmt-clean")
		})
	}
}

func updateGolden(t *testing.T, r result, genPath, diagPath string) {
	if len(r.diags) > 0 {
		require.NoError(t, os.WriteFile(diagPath, []byte(formatDiagnostics(r.diags)), 0o644))
		return
	}
	_ = os.Remove(diagPath)
	if r.file.Content != nil {
		require.NoError(t, os.WriteFile(genPath, r.file.Content, 0o644))
	} else if old, err := os.ReadFile(genPath); err == nil && hasHeaderSource(old) {
		require.NoError(t, os.Remove(genPath))
	}
}

// TestGoldenDeterministic generates twice and expects the same bytes.
func TestGoldenDeterministic(t *testing.T) {
	cfg := Config{Dir: testdata, Patterns: []string{"./basic", "./generic", "./multi"}}
	first, err := generateFiles(cfg)
	require.NoError(t, err)
	second, err := generateFiles(cfg)
	require.NoError(t, err)
	require.Equal(t, len(first), len(second))
	for i := range first {
		assert.Equal(t, string(first[i].Content), string(second[i].Content))
	}
}
