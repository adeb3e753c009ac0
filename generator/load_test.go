package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests load packages that do not type-check, as packages do in the
// middle of a go generate run or of test-driven work: generation goes on
// unless the errors reach a client's declaration.

// TestRedTestDoesNotBlock: a test that calls a method not written yet, in
// a file that says "cleanup" (t.Cleanup) and in an external test, stops
// neither its package's generation nor the others'.
func TestRedTestDoesNotBlock(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go": clientSource("lib", "Client", ""),
		"lib/lib_test.go": `package lib

import "testing"

func TestNotYet(t *testing.T) {
	c := &Client{}
	t.Cleanup(func() { _ = c.Close() })
	if c.NotYet() != 1 {
		t.Fatal("not yet")
	}
}
`,
		"lib/x_test.go": `package lib_test

import (
	"testing"

	"example.com/e2e/lib"
)

func TestAlsoNotYet(t *testing.T) {
	var c lib.Client
	t.Cleanup(func() { _ = c.Close() })
	c.AlsoNotYet()
}
`,
		"other/other.go": clientSource("other", "Other", ""),
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", DefaultOutput)), "func (x *Client) Close() error")
	assert.FileExists(t, filepath.Join(dir, "other", DefaultOutput))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./other")
	_, err := goCmd(t, dir, "build", "./...")
	require.NoError(t, err, "the package itself builds")
}

// TestMethodOfAnotherGenerator: code that calls a String method stringer
// has not written yet, in the file of the client, does not stop it.
func TestMethodOfAnotherGenerator(t *testing.T) {
	extra := `
type Color int

const (
	Red Color = iota
	Blue
)

// Label says the color; String comes from stringer, which runs later.
func (c Color) Label() string { return "color " + c.String() }
`
	dir := layoutModule(t, map[string]string{"lib/lib.go": clientSource("lib", "Client", extra)})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Contains(t, readFile(t, filepath.Join(dir, "lib", DefaultOutput)), "func (x *Client) Close() error")
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
}

// TestBrokenPackageNamed: a client whose declaration reaches a type error
// is not generated, and says so; the other packages are, and the package's
// generated file is left as it was.
func TestBrokenPackageNamed(t *testing.T) {
	stale := Header + "\n\npackage bad\n"
	for name, src := range map[string]string{
		"undefined field type": strings.Replace(clientSource("bad", "Bad", ""), "body io.Closer", "body io.Closer\n\t//cleanup:close\n\tconn *NotYet", 1),
		"broken method of a field's type": strings.Replace(clientSource("bad", "Bad", "\ntype conn struct{}\n\nfunc (*conn) Close() NotYet { return nil }\n"),
			"body io.Closer", "body io.Closer\n\t//cleanup:close\n\tconn *conn", 1),
		"broken type parameter": strings.Replace(clientSource("bad", "Bad", ""), "type Bad struct", "type Bad[T NotYet] struct", 1),
	} {
		t.Run(name, func(t *testing.T) {
			dir := layoutModule(t, map[string]string{
				"bad/bad.go":           src,
				"bad/" + DefaultOutput: stale,
				"good/good.go":         clientSource("good", "Good", ""),
			})
			err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
			var le *LoadError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, []string{"example.com/e2e/bad"}, le.Packages)
			assert.Contains(t, err.Error(), "undefined: NotYet")
			assert.Contains(t, err.Error(), "cleanupgen: example.com/e2e/bad: not generated")
			assert.FileExists(t, filepath.Join(dir, "good", DefaultOutput))
			assert.Equal(t, stale, readFile(t, filepath.Join(dir, "bad", DefaultOutput)), "left alone")

			// -check: the same failure, and the others are current.
			err = Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true})
			require.ErrorAs(t, err, &le)
			assert.NotErrorIs(t, err, ErrStale)
			require.NoError(t, os.Remove(filepath.Join(dir, "good", DefaultOutput)))
			err = Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true})
			require.ErrorAs(t, err, &le)
			assert.ErrorIs(t, err, ErrStale)
		})
	}
}

// TestBrokenTestTypeDoesNotBlock: a test file declaring a type that reaches
// an error blocks the clients of the test files, not the package's.
func TestBrokenTestTypeDoesNotBlock(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go": clientSource("lib", "Client", ""),
		"lib/lib_test.go": `package lib

import "github.com/cleanupgen/cleanupgen/runtime"

//cleanup:client
type fixture struct {
	guard runtime.Guard
	//cleanup:close
	fake *fake
}

type fake struct{ next NotYet }

func (*fake) Close() error { return nil }
`,
	})
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var le *LoadError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, []string{"example.com/e2e/lib (its _test.go files)"}, le.Packages)
	assert.FileExists(t, filepath.Join(dir, "lib", DefaultOutput))
	assert.NoFileExists(t, filepath.Join(dir, "lib", "zz_generated_cleanup_test.go"))
}

// TestOutputCheckOwnBodies: the output is checked without the package's
// own function bodies, so an import that only a body uses, and a body's
// type error, are not the output's errors; the output's own still are.
func TestOutputCheckOwnBodies(t *testing.T) {
	extra := `
func upper(s string) string { return strings.ToUpper(s) + notYet() }

func init() { _ = upper("x") }
`
	src := strings.Replace(clientSource("lib", "Client", extra), "import (\n", "import (\n\t\"strings\"\n", 1)
	dir := layoutModule(t, map[string]string{"lib/lib.go": src})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	require.NoError(t, os.Remove(filepath.Join(dir, "lib", DefaultOutput)))

	testHookOutput = func(path string, src []byte) []byte { return append(src, "\nfunc _() { notYet() }\n"...) }
	t.Cleanup(func() { testHookOutput = nil })
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var ie *InternalError
	require.ErrorAs(t, err, &ie)
	assert.Contains(t, err.Error(), "undefined: notYet")
	assert.NotContains(t, err.Error(), "strings")
}

// TestSyntaxErrorWithoutDirectives: a file that does not parse stops its
// package only when it may hold a directive that the error hides.
func TestSyntaxErrorWithoutDirectives(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"dep/dep.go":       "package dep\n\nfunc F( {\n",
		"dep/client.go":    clientSource("dep", "Client", ""),
		"hidden/hidden.go": "package hidden\n\nfunc F( {\n\n//cleanup:client\ntype Hidden struct{}\n",
		"good/good.go":     clientSource("good", "Good", ""),
	})
	err := Run(Config{Dir: dir, Patterns: []string{"./..."}})
	var le *LoadError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, []string{"example.com/e2e/hidden"}, le.Packages)
	assert.FileExists(t, filepath.Join(dir, "dep", DefaultOutput))
	assert.FileExists(t, filepath.Join(dir, "good", DefaultOutput))
}

// TestImportsOf: what the go command is given for a listed package's file
// keeps its header, package clause and imports on their lines, blank.
func TestImportsOf(t *testing.T) {
	src := "//go:build foo\n\n// Package p does things.\npackage p\n\nimport \"fmt\"\n\nimport (\n\t\"io\"\n\tstr \"strings\"\n\t. \"os\"\n)\n\nfunc F() { fmt.Println(io.EOF, str.ToUpper(\"\"), Args) }\n"
	got, cgo := importsOf("p.go", []byte(src))
	assert.False(t, cgo)
	assert.Equal(t, "//go:build foo\n\n// Package p does things.\npackage p\n\nimport _ \"fmt\"\n\nimport (\n\t_ \"io\"\n\t_ \"strings\"\n\t_ \"os\"\n)\n", string(got))
	_, cgo = importsOf("c.go", []byte("package p\n\nimport \"C\"\n"))
	assert.True(t, cgo)
	got, _ = importsOf("e.go", []byte("package p\n"))
	assert.Equal(t, "package p\n", string(got))
	got, _ = importsOf("bad.go", []byte("package p\n\nimport (\n"))
	assert.Nil(t, got)
}

// TestImportsOnlyCopies: the imports-only copies that go list -export gets
// for the listed packages (rootexport.go) change nothing for a command, a
// cgo package or a package of assembly that imports one of them, nor for
// their tests.
func TestImportsOnlyCopies(t *testing.T) {
	requireCgo(t)
	uses := func(pkg, name string) string {
		return strings.Replace(clientSource(pkg, name, "\nvar _ = lib.Client{}\n"), "import (\n", "import (\n\t\"example.com/e2e/lib\"\n", 1)
	}
	dir := layoutModule(t, map[string]string{
		"lib/lib.go":         clientSource("lib", "Client", ""),
		"lib/lib_test.go":    "package lib\n\nimport \"testing\"\n\nfunc TestClose(t *testing.T) { _ = (&Client{}).Close() }\n",
		"cmd/tool/main.go":   uses("main", "Tool") + "\nfunc main() { _ = (&Tool{}).Close() }\n",
		"cmd/tool/other.go":  "package main\n\nfunc helper() {}\n",
		"cmd/tool/x_test.go": "package main\n\nimport \"testing\"\n\nfunc TestTool(t *testing.T) { helper() }\n",
		"wrap/wrap.go":       strings.Replace(uses("wrap", "Wrap"), "package wrap\n", "package wrap\n\nimport \"C\"\n", 1),
		"asm/asm.go":         uses("asm", "Asm") + "\nfunc add(a, b int) int\n",
		"asm/add_amd64.s":    "#include \"textflag.h\"\n\nTEXT ·add(SB),NOSPLIT,$0-24\n\tMOVQ a+0(FP), AX\n\tADDQ b+8(FP), AX\n\tMOVQ AX, ret+16(FP)\n\tRET\n",
		"asm/add_other.go":   "//go:build !amd64\n\npackage asm\n\nfunc add(a, b int) int { return a + b }\n",
		"asm/add_amd64_x.go": "package asm\n",
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	for _, pkg := range []string{"lib", "cmd/tool", "wrap", "asm"} {
		assert.FileExists(t, filepath.Join(dir, filepath.FromSlash(pkg), DefaultOutput))
	}
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./cmd/tool"}, Check: true}))
	out, err := goCmd(t, dir, "test", "-count=1", "./...")
	require.NoError(t, err, "go test:\n%s", out)
}
