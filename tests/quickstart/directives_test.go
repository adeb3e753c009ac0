package quickstart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	usageDirectiveRE = regexp.MustCompile(`(?m)^\s*//cleanup:(\w+)(.*)$`)
	usageOptionRE    = regexp.MustCompile(`\[(\w+)=`)
	usageFlagRE      = regexp.MustCompile(`(?m)^  -(\w+)`)
)

// section returns the lines of markdown from heading (such as "## Directives")
// to the next heading of the same or a higher level.
func section(t *testing.T, markdown, heading string) string {
	t.Helper()
	level := strings.Index(heading, " ")
	lines := strings.Split(markdown, "\n")
	start := slices.Index(lines, heading)
	require.GreaterOrEqual(t, start, 0, "README.md has no %q", heading)
	end := start + 1
	for ; end < len(lines); end++ {
		l := lines[end]
		if n := len(l) - len(strings.TrimLeft(l, "#")); n > 0 && n <= level && strings.HasPrefix(l[n:], " ") {
			break
		}
	}
	return strings.Join(lines[start:end], "\n")
}

// cleanupgenUsage returns what cleanupgen -h prints.
func cleanupgenUsage(t *testing.T, root string) string {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "go", "run", "./cmd/cleanupgen", "-h")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), out.String())
	return out.String()
}

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
	directives := section(t, string(readme), "## Directives")
	usage := cleanupgenUsage(t, root)

	verbs := usageDirectiveRE.FindAllStringSubmatch(usage, -1)
	require.NotEmpty(t, verbs, "cleanupgen -h lists no directive:\n%s", usage)
	for _, v := range verbs {
		verb := v[1]
		assert.Contains(t, directives, "| `//cleanup:"+verb, "the README's table of directives has no row for //cleanup:%s", verb)
		for _, o := range usageOptionRE.FindAllStringSubmatch(v[2], -1) {
			assert.Contains(t, directives, "`"+o[1]+"=", "the README's Directives section does not document %s= (of //cleanup:%s)", o[1], verb)
		}
	}
}

// TestFlagsDocumented checks that the README's section on cleanupgen
// documents every flag that cleanupgen -h lists.
func TestFlagsDocumented(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cleanupgen; skipped with -short")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	tool := section(t, string(readme), "### cleanupgen")
	usage := cleanupgenUsage(t, root)

	flags := usageFlagRE.FindAllStringSubmatch(usage, -1)
	require.NotEmpty(t, flags, "cleanupgen -h lists no flag:\n%s", usage)
	for _, f := range flags {
		assert.Regexp(t, "[[ `]-"+f[1]+"[] `]", tool, "the README's cleanupgen section does not document -%s", f[1])
	}
}
