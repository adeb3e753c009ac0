package golangciplugin_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/analysis/golangciplugin"
)

// The configuration that docs/linting.md tells users to copy names this
// package and the module it is in, and its settings are ones the plugin
// accepts.
func TestDocsConfiguration(t *testing.T) {
	text, err := os.ReadFile(filepath.Join("..", "..", "docs", "linting.md"))
	require.NoError(t, err)
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(text), -1)
	require.Len(t, blocks, 2, "the .custom-gcl.yml and .golangci.yml examples")
	custom, golangci := blocks[0][1], blocks[1][1]

	pkg := reflect.TypeFor[golangciplugin.Settings]().PkgPath()
	assert.Contains(t, custom, "- module: github.com/cleanupgen/cleanupgen\n")
	assert.Contains(t, custom, "    import: "+pkg+"\n")
	assert.Regexp(t, `(?m)^version: v2\.`, custom)

	assert.Contains(t, golangci, "    - "+golangciplugin.Name+"\n", "linters.enable")
	assert.Contains(t, golangci, "      "+golangciplugin.Name+":\n        type: module\n", "linters.settings.custom")

	// The keys under the plugin's settings:, with their values.
	_, after, ok := strings.Cut(golangci, "        settings:\n")
	require.True(t, ok, "the example has settings")
	settings := map[string]any{}
	for line := range strings.Lines(after) {
		if !strings.HasPrefix(line, "          ") {
			break
		}
		value, _, _ := strings.Cut(line, "#")
		key, value, ok := strings.Cut(strings.TrimSpace(value), ":")
		require.True(t, ok, "%q", line)
		value = strings.TrimSpace(value)
		if b, err := strconv.ParseBool(value); err == nil {
			settings[key] = b
		} else {
			settings[key] = value
		}
	}
	require.NotEmpty(t, settings)
	_, err = golangciplugin.New(settings)
	assert.NoError(t, err, "settings %v", settings)
}
