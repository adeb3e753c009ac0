package generator

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// These tests are valid code that cleanupgen once called "a bug in
// cleanupgen": each generates, passes -check and builds with its tests.

// TestUnexportedElements: collections of another package whose elements
// are of an unexported type, which the generated code cannot name: named
// slice and map types, a slice of structs with unexported fields, and the
// export_test.go alias idiom used from an external test package.
func TestUnexportedElements(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"lib/lib.go": `package lib

import "io"

type conn struct{ closed bool }

func (c *conn) Close() error { c.closed = true; return nil }

type Conns []*conn

type Registry map[string]*conn

type Weighted []struct {
	io.Closer
	weight int
}

type Ring [2]*conn

type key struct{ id int }

type ByKey map[key]*conn

func NewConns() Conns { return Conns{{}, nil, {}} }

func NewRegistry() Registry { return Registry{"a": {}} }
`,
		"lib/export_test.go": `package lib

type Conn = conn

type ConnList = []*conn

func Closed(c *Conn) bool { return c.closed }
`,
		"lib/lib_test.go": `package lib_test

import (
	"testing"

	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Holder struct {
	guard runtime.Guard
	//cleanup:close
	conns lib.ConnList
	//cleanup:close
	byName map[string]*lib.Conn
}

func TestHolder(t *testing.T) {
	c := &lib.Conn{}
	h := &Holder{conns: lib.ConnList{c, nil}, byName: map[string]*lib.Conn{"x": {}}}
	if err := h.Close(); err != nil || !lib.Closed(c) {
		t.Fatalf("Close = %v, closed = %v", err, lib.Closed(c))
	}
}
`,
		"app/app.go": `package app

import (
	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type App struct {
	guard runtime.Guard
	//cleanup:close
	Conns lib.Conns
	//cleanup:close
	Registry lib.Registry
	//cleanup:close
	weighted lib.Weighted
	//cleanup:close
	ring lib.Ring
}
`,
		"bad/bad.go": `package bad

import (
	"example.com/e2e/lib"
	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Bad struct {
	guard runtime.Guard
	//cleanup:close
	byKey lib.ByKey
}
`,
		"app/app_test.go": `package app

import (
	"testing"

	"example.com/e2e/lib"
)

func TestClose(t *testing.T) {
	a := &App{Conns: lib.NewConns(), Registry: lib.NewRegistry()}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
}
`,
	})
	// A map keyed by such a type is a diagnostic, not an internal error:
	// the generated code must name its keys.
	err := Run(Config{Dir: dir, Patterns: []string{"./bad"}})
	var ds Diagnostics
	require.ErrorAs(t, err, &ds)
	require.Len(t, ds, 1)
	assert.Contains(t, ds[0].Msg, "must name its key type example.com/e2e/lib.key, which is unexported in another package")

	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./app", "./lib"}}))
	assert.FileExists(t, filepath.Join(dir, "app", DefaultOutput))
	assert.FileExists(t, filepath.Join(dir, "lib", "zz_generated_cleanup_x_test.go"))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./app", "./lib"}, Check: true}))
	requireBuilds(t, dir, "./app", "./lib")
	out, err := goCmd(t, dir, "test", "-count=1", "./app", "./lib")
	require.NoError(t, err, "go test:\n%s", out)
}

// TestBlankTypeParameter: type Client[_ any], whose parameter the generated
// declarations must still name.
func TestBlankTypeParameter(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"app/app.go": `package app

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Client[_ any] struct {
	guard runtime.Guard
	//cleanup:close
	body io.Closer
}

//cleanup:client
type Pair[K comparable, _ any, V io.Closer] struct {
	guard runtime.Guard
	//cleanup:close
	byKey map[K]V
}

var _ io.Closer = (*Client[int])(nil)
var _ io.Closer = (*Pair[string, int, io.Closer])(nil)
`,
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")
}

// TestTestClientNamedLikeRefs: a client ConnRefs in a test file next to a
// client Conn: the two generated files' names must not collide, whichever
// file is generated first.
func TestTestClientNamedLikeRefs(t *testing.T) {
	dir := layoutModule(t, map[string]string{
		"app/app.go": clientSource("app", "Conn", ""),
		"app/app_test.go": `package app

import (
	"io"
	"testing"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type ConnRefs struct {
	guard runtime.Guard
	//cleanup:close
	body io.Closer
}

//cleanup:client
type cleanupConn struct {
	guard runtime.Guard
}

func TestClose(t *testing.T) {
	if err := (&ConnRefs{}).Close(); err != nil {
		t.Fatal(err)
	}
	if err := (&Conn{}).Close(); err != nil {
		t.Fatal(err)
	}
}
`,
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")
	out, err := goCmd(t, dir, "test", "-count=1", "./...")
	require.NoError(t, err, "go test:\n%s", out)
}
