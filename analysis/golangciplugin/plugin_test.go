package golangciplugin_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/golangci/plugin-module-register/register"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	_ "github.com/cleanupgen/cleanupgen/analysis/golangciplugin"
)

// analyzers builds the plugin as golangci-lint does: by the name it
// registered under, from the settings of .golangci.yml.
func analyzers(t *testing.T, settings any) []*analysis.Analyzer {
	t.Helper()
	newPlugin, err := register.GetPlugin("cleanupcheck")
	require.NoError(t, err)
	p, err := newPlugin(settings)
	require.NoError(t, err)
	assert.Equal(t, register.LoadModeTypesInfo, p.GetLoadMode())
	as, err := p.BuildAnalyzers()
	require.NoError(t, err)
	require.Len(t, as, 1)
	assert.Equal(t, "cleanupcheck", as[0].Name)
	return as
}

// testModule copies testdata/src into a module that requires this
// repository through a replace directive, so that the real runtime
// package is imported.
func testModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(filepath.Join("testdata", "src"))))
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	gomod := "module example.com/plugin\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\nreplace github.com/cleanupgen/cleanupgen => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	t.Setenv("GOWORK", "off")
	t.Setenv("GOFLAGS", "-mod=mod")
	return dir
}

// With no settings, the plugin's analyzer reports every rule, each
// finding in a file golangci-lint shows (not the generated one), and its
// fixes give app.go.golden.
func TestPlugin(t *testing.T) {
	as := analyzers(t, nil)
	dir := testModule(t)
	analysistest.RunWithSuggestedFixes(t, dir, as[0], "./app", "./gone")
}

// guard: false turns the guard rules off, as -guard=false does.
func TestPluginSettings(t *testing.T) {
	t.Cleanup(func() { analyzers(t, nil) })
	as := analyzers(t, map[string]any{"guard": false})
	dir := testModule(t)
	pkgs, err := packages.Load(&packages.Config{Mode: packages.LoadAllSyntax, Dir: dir}, "./app")
	require.NoError(t, err)
	graph, err := checker.Analyze(as, pkgs, nil)
	require.NoError(t, err)
	var categories []string
	for _, act := range graph.Roots {
		require.NoError(t, act.Err)
		for _, d := range act.Diagnostics {
			categories = append(categories, d.Category)
		}
	}
	assert.ElementsMatch(t, []string{"missing", "resource"}, categories)
}

// A setting the plugin does not have is an error, not silence: a typo in
// .golangci.yml would otherwise leave a rule on that the user turned off.
func TestPluginUnknownSetting(t *testing.T) {
	newPlugin, err := register.GetPlugin("cleanupcheck")
	require.NoError(t, err)
	_, err = newPlugin(map[string]any{"gaurd": false})
	assert.ErrorContains(t, err, `unknown field "gaurd"`)
}
