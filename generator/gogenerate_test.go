package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoGenerate runs go generate ./... as users do: cleanupgen's line
// before stringer's in a package whose code calls the String method that
// stringer writes, a line that gives $GOFILE, and then the last client of a
// package losing its directive, which empties its generated file instead
// of removing it while go generate still has the file to read.
func TestGoGenerate(t *testing.T) {
	const cleanupgen = "//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen"
	colors := `
type Color int

const (
	Red Color = iota
	Blue
)

func (c Color) Label() string { return "color " + c.String() }
`
	dir := tempModule(t, map[string]string{
		"lib/lib.go": strings.Replace(clientSource("lib", "Client", colors), "package lib\n",
			"package lib\n\n"+cleanupgen+"\n//go:generate go run golang.org/x/tools/cmd/stringer -type=Color\n", 1),
		"file/file.go": strings.Replace(clientSource("file", "Client", ""), "package file\n", "package file\n\n"+cleanupgen+" $GOFILE\n", 1),
		"gone/gone.go": strings.Replace(clientSource("gone", "Client", ""), "package gone\n", "package gone\n\n"+cleanupgen+"\n", 1),
	})
	out, err := goCmd(t, dir, "generate", "./...")
	require.NoError(t, err, "go generate:\n%s", out)
	for _, pkg := range []string{"lib", "file", "gone"} {
		assert.Contains(t, readFile(t, filepath.Join(dir, pkg, DefaultOutput)), "func (x *Client) Close() error", pkg)
	}
	assert.FileExists(t, filepath.Join(dir, "lib", "color_string.go"))
	out, err = goCmd(t, dir, "vet", "./...")
	require.NoError(t, err, "go vet:\n%s", out)

	// The last client of gone loses its directive.
	gone := filepath.Join(dir, "gone", "gone.go")
	require.NoError(t, os.WriteFile(gone, []byte(strings.ReplaceAll(readFile(t, gone), "//cleanup:", "// was cleanup:")), 0o644))
	out, err = goCmd(t, dir, "generate", "./...")
	require.NoError(t, err, "go generate after the last client went:\n%s", out)
	assert.Contains(t, out, "cleanupgen: emptied "+DefaultOutput+" rather than removing it")
	emptied := readFile(t, filepath.Join(dir, "gone", DefaultOutput))
	assert.True(t, isTombstone([]byte(emptied)), emptied)
	assert.NotContains(t, emptied, "func ")
	out, err = goCmd(t, dir, "generate", "./...")
	require.NoError(t, err, "go generate again:\n%s", out)
	assert.Equal(t, emptied, readFile(t, filepath.Join(dir, "gone", DefaultOutput)), "current under go generate")
	out, err = goCmd(t, dir, "vet", "./...")
	require.NoError(t, err, "go vet:\n%s", out)

	// -check accepts it; a run outside go generate removes it.
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOWORK", "off")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.NoFileExists(t, filepath.Join(dir, "gone", DefaultOutput))
}

func TestTombstone(t *testing.T) {
	old := []byte(Header + "\n\n//go:build foo\n\npackage lib\n\nimport \"io\"\n\nvar _ io.Closer\n")
	got := tombstone(old)
	assert.Equal(t, Header+"\n\n//go:build foo\n\npackage lib\n\n"+tombstoneNote, string(got))
	assert.True(t, isTombstone(got))
	assert.False(t, isTombstone(old))
	assert.False(t, isTombstone([]byte(Header+"\n\npackage lib\n")), "an empty generated file is not one")
}
