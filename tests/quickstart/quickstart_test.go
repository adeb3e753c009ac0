package quickstart

import (
	"bufio"
	"bytes"
	"context"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/cleanupgen/cleanupgen"

// block is a fenced block of the README that follows a quickstart marker.
type block struct {
	kind, arg string // from <!-- quickstart:KIND ARG -->
	line      int    // of the marker, for messages
	text      string
}

var markerRE = regexp.MustCompile(`^<!--\s*quickstart:(\w+)\s*(\S*)\s*-->$`)

// readBlocks returns the marked blocks of the README, in order.
func readBlocks(t *testing.T, readme string) []block {
	t.Helper()
	var blocks []block
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		m := markerRE.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		b := block{kind: m[1], arg: m[2], line: i + 1}
		require.Less(t, i+1, len(lines), "README.md:%d: marker at the end of the file", b.line)
		fence := strings.TrimSpace(lines[i+1])
		require.True(t, strings.HasPrefix(fence, "```"), "README.md:%d: a quickstart marker must be followed by a fenced block, got %q", b.line, fence)
		var body []string
		j := i + 2
		for ; j < len(lines) && strings.TrimSpace(lines[j]) != "```"; j++ {
			body = append(body, lines[j])
		}
		require.Less(t, j, len(lines), "README.md:%d: unterminated fenced block", b.line)
		b.text = strings.Join(body, "\n") + "\n"
		blocks = append(blocks, b)
		i = j
	}
	return blocks
}

// repoRoot is the directory of the repository's go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	require.NoError(t, err)
	require.Contains(t, string(gomod), "module "+modulePath+"\n")
	return root
}

// durationRE matches what time.Duration.String prints.
var durationRE = regexp.MustCompile(`\b(?:\d+(?:\.\d+)?(?:ns|µs|us|ms|h|m|s))+\b`)

func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(durationRE.ReplaceAllString(s, "DURATION"))
}

// commands returns the commands of a shell block: one a line, comments
// (# to the end of the line) and blank lines left out.
func commands(text string) [][]string {
	var cmds [][]string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if f := strings.Fields(line); len(f) > 0 {
			cmds = append(cmds, f)
		}
	}
	return cmds
}

// TestQuickStart follows the README's quick start in a fresh module: it
// writes the README's files and runs its commands (go mod init, go get
// -tool, go generate, go run, and the test's go get and go test), in the
// README's order, and checks that the module vets clean and passes
// cleanupgen -check before the program runs, that the generated file holds
// the README's excerpt, and that the program prints the README's output.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cleanupgen and a program; skipped with -short")
	}
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	blocks := readBlocks(t, string(readme))

	gobin, err := exec.LookPath("go")
	require.NoError(t, err)
	dir := t.TempDir() // outside the repository: no go.work, no parent go.mod
	env := append(os.Environ(),
		"GOPROXY=off", // everything comes from the module cache or the replace
		"GOSUMDB=off",
		"GOFLAGS=",
		"GOWORK=off",
		"GOTOOLCHAIN=local",
		"CLEANUPGEN_DEADLINES=", // the README shows the default
	)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	run := func(args ...string) (stdout string) {
		t.Helper()
		require.Equal(t, "go", args[0], "the quick start's commands are go commands: %q", args)
		cmd := exec.CommandContext(ctx, gobin, args[1:]...)
		cmd.Dir = dir
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		require.NoError(t, cmd.Run(), "%s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out.String(), errb.String())
		return out.String()
	}

	// The blocks are followed in the README's order, as a reader would:
	// files are written when the README shows them, commands run when it
	// gives them.
	var (
		excerpts     []block
		output       *block
		stdout       string
		inited, ran  bool
		files, cmdsN int
	)
	for _, b := range blocks {
		switch b.kind {
		case "file":
			formatted, err := format.Source([]byte(b.text))
			require.NoError(t, err, "README.md:%d: %s", b.line, b.arg)
			assert.Equal(t, string(formatted), b.text, "README.md:%d: %s is not gofmt-clean", b.line, b.arg)
			require.NoError(t, os.WriteFile(filepath.Join(dir, b.arg), []byte(b.text), 0o644))
			files++
		case "commands":
			for _, c := range commands(b.text) {
				cmdsN++
				isRun := slices.Equal(c, []string{"go", "run", "."})
				if isRun {
					// Before the program runs, the module must build and
					// vet clean as users have it, generated file included,
					// and pass the check the README tells users to run in
					// CI.
					run("go", "vet", "./...")
					run("go", "tool", "cleanupgen", "-check", "./...")
				}
				out := run(c...)
				if isRun {
					stdout, ran = out, true
				}
				if len(c) >= 3 && c[1] == "mod" && c[2] == "init" {
					// What the module proxy would serve, this repository
					// serves.
					run("go", "mod", "edit", "-require="+modulePath+"@v0.0.0", "-replace="+modulePath+"="+root)
					inited = true
				}
			}
		case "excerpt":
			excerpts = append(excerpts, b)
		case "output":
			output = &b
		default:
			t.Fatalf("README.md:%d: unknown quickstart marker %q", b.line, b.kind)
		}
	}
	require.NotZero(t, files, "README.md has no <!-- quickstart:file NAME --> block")
	require.NotZero(t, cmdsN, "README.md has no <!-- quickstart:commands --> block")
	require.NotNil(t, output, "README.md has no <!-- quickstart:output --> block")
	require.True(t, inited, "the quick start's commands must start a module with go mod init")
	require.True(t, ran, "the quick start's commands must run the program with go run .")

	for _, e := range excerpts {
		gen, err := os.ReadFile(filepath.Join(dir, e.arg))
		require.NoError(t, err, "README.md:%d: the quick start generates no %s", e.line, e.arg)
		assertExcerpt(t, e, string(gen))
	}
	assert.Equal(t, normalize(output.text), normalize(stdout),
		"README.md:%d: the program's output differs from the README's (durations are compared as DURATION)", output.line)
}

// assertExcerpt checks that the lines of e appear in gen in the same order,
// each the whole of a line; a line "..." (or "// ...") stands for lines left
// out.
func assertExcerpt(t *testing.T, e block, gen string) {
	t.Helper()
	genLines := strings.Split(strings.ReplaceAll(gen, "\r\n", "\n"), "\n")
	at := 0
	for i, want := range strings.Split(strings.TrimRight(e.text, "\n"), "\n") {
		if s := strings.TrimSpace(want); s == "..." || s == "// ..." {
			continue
		}
		found := false
		for ; at < len(genLines); at++ {
			if strings.TrimRight(genLines[at], " \t") == strings.TrimRight(want, " \t") {
				found = true
				at++
				break
			}
		}
		if !assert.True(t, found, "README.md:%d: line %d of the excerpt of %s is not in the generated file (in this order): %q\ngenerated:\n%s",
			e.line, i+1, e.arg, want, gen) {
			return
		}
	}
}

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"workers: abandoned after 1.000432336s: x": "workers: abandoned after DURATION: x",
		"after 917µs and 2m3.5s":                   "after DURATION and DURATION",
		"1 step did not succeed":                   "1 step did not succeed",
		"timeout=1s\r\n":                           "timeout=DURATION",
	} {
		assert.Equal(t, want, normalize(in), in)
	}
}
