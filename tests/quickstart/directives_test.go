package quickstart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	usageDirectiveRE = regexp.MustCompile(`(?m)^\s*//cleanup:(\w+)(.*)$`)
	usageOptionRE    = regexp.MustCompile(`\[(\w+)=`)
)

// TestDirectivesDocumented checks that the README's Directives section
// documents every directive and option that cleanupgen -h lists, so that a
// directive added to the generator's table cannot go unmentioned.
func TestDirectivesDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cleanupgen; skipped with -short")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	section := string(readme)
	start := strings.Index(section, "\n## Directives\n")
	require.GreaterOrEqual(t, start, 0, "README.md has no Directives section")
	section = section[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}

	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/cleanupgen", "-h")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), out.String())

	verbs := usageDirectiveRE.FindAllStringSubmatch(out.String(), -1)
	require.NotEmpty(t, verbs, "cleanupgen -h lists no directive:\n%s", out.String())
	for _, v := range verbs {
		verb := v[1]
		assert.Contains(t, section, "| `//cleanup:"+verb, "the README's table of directives has no row for //cleanup:%s", verb)
		for _, o := range usageOptionRE.FindAllStringSubmatch(v[2], -1) {
			assert.Contains(t, section, "`"+o[1]+"=", "the README's Directives section does not document %s= (of //cleanup:%s)", o[1], verb)
		}
	}
}
