package cleanupcheck_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/cleanupgen/cleanupgen/analysis/cleanupcheck"
)

// The generator's own cases (../../testdata): where cleanupgen reports
// diagnostics.golden, the analyzer reports the same lines; where it writes
// zz_generated_cleanup.go, the analyzer finds that file current and every
// resource directed.
func TestGeneratorTestdata(t *testing.T) {
	testdata := filepath.Join("..", "..", "testdata")
	entries, err := os.ReadDir(testdata)
	require.NoError(t, err)
	var patterns []string
	for _, e := range entries {
		if gofiles, _ := filepath.Glob(filepath.Join(testdata, e.Name(), "*.go")); e.IsDir() && len(gofiles) > 0 {
			patterns = append(patterns, "./"+e.Name())
		}
	}
	require.NotEmpty(t, patterns)
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: testdata}, patterns...)
	require.NoError(t, err)
	graph, err := checker.Analyze([]*analysis.Analyzer{cleanupcheck.Analyzer}, pkgs, nil)
	require.NoError(t, err)
	got := map[string][]string{}
	for _, act := range graph.Roots {
		dir := filepath.Base(act.Package.Dir)
		if act.Err != nil {
			got[dir] = append(got[dir], "error: "+act.Err.Error())
			continue
		}
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			got[dir] = append(got[dir], fmt.Sprintf("%s:%d:%d: %s", filepath.Base(p.Filename), p.Line, p.Column, d.Message))
		}
	}
	for _, pattern := range patterns {
		dir := strings.TrimPrefix(pattern, "./")
		t.Run(dir, func(t *testing.T) {
			lines := got[dir]
			sort.Strings(lines)
			want, err := os.ReadFile(filepath.Join(testdata, dir, "diagnostics.golden"))
			if err != nil {
				assert.Empty(t, lines)
				return
			}
			wantLines := strings.Split(strings.TrimSpace(string(want)), "\n")
			sort.Strings(wantLines)
			assert.Equal(t, wantLines, lines)
		})
	}
}
