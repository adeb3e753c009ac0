package quickstart

import (
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goBlock is a ```go block of a Markdown file.
type goBlock struct {
	line int // of the opening fence
	text string
}

var fenceRE = regexp.MustCompile("^```(\\w*)")

func goBlocks(t *testing.T, markdown string) []goBlock {
	t.Helper()
	var blocks []goBlock
	lines := strings.Split(markdown, "\n")
	for i := 0; i < len(lines); i++ {
		m := fenceRE.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		j := i + 1
		for ; j < len(lines) && !strings.HasPrefix(lines[j], "```"); j++ {
		}
		require.Less(t, j, len(lines), "line %d: unterminated fenced block", i+1)
		if m[1] == "go" {
			blocks = append(blocks, goBlock{line: i + 1, text: strings.Join(lines[i+1:j], "\n") + "\n"})
		}
		i = j
	}
	return blocks
}

// elided turns the lines that stand for code left out ("..." alone on a
// line) into comments, so that the rest parses.
func elided(src string) string {
	lines := strings.Split(src, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "..." {
			lines[i] = strings.Replace(l, "...", "// ...", 1)
		}
	}
	return strings.Join(lines, "\n")
}

// TestSnippetsAreGo checks every Go block of the README and CONTRIBUTING.md:
// a whole file or a list of declarations must parse and be gofmt-clean; a
// list of statements must parse inside a function. The quick start's files
// are also built and run by TestQuickStart.
func TestSnippetsAreGo(t *testing.T) {
	root := repoRoot(t)
	for _, name := range []string{"README.md", "CONTRIBUTING.md"} {
		md, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		for _, b := range goBlocks(t, string(md)) {
			src := elided(b.text)
			if !regexp.MustCompile(`(?m)^package \w+$`).MatchString(src) {
				src = "package p\n\n" + src
			}
			fset := token.NewFileSet()
			if _, err := parser.ParseFile(fset, "", src, parser.ParseComments); err == nil {
				formatted, err := format.Source([]byte(src))
				require.NoError(t, err)
				assert.Equal(t, string(formatted), src, "%s:%d: the snippet is not gofmt-clean", name, b.line)
				continue
			}
			stmts := "package p\n\nfunc _() {\n" + elided(b.text) + "}\n"
			_, err := parser.ParseFile(token.NewFileSet(), "", stmts, parser.ParseComments)
			assert.NoError(t, err, "%s:%d: the snippet is neither Go declarations nor Go statements", name, b.line)
		}
	}
}
