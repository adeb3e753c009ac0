package generator

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/packages"
)

// This file is the generator seen from a vet analyzer: the same checks and
// the same emitter, over a package that is already parsed and type-checked
// (a go/analysis pass) instead of one that cleanupgen loads.

// Source is one parsed, type-checked package, as a go/analysis pass has it.
type Source struct {
	Fset  *token.FileSet
	Files []*ast.File // the package's files; _test.go files are left out, as cleanupgen never reads them
	Types *types.Package
}

// Report is what cleanupgen makes of one Source.
type Report struct {
	// Diagnostics are the mistakes cleanupgen would report, sorted by position.
	Diagnostics []PosDiagnostic
	// Clients are the valid //cleanup:client types, in source order.
	Clients []string
	// Output is the path of the generated file: DefaultOutput in the
	// package's directory.
	Output string
	// Want is what cleanupgen would write to Output now; nil when the
	// package has no client or has diagnostics.
	Want []byte
}

// PosDiagnostic is a Diagnostic at a token.Pos of the Source's file set.
type PosDiagnostic struct {
	Pos token.Pos
	Msg string
}

// Analyze checks src as cleanupgen checks a package it loads and renders the
// generated file it would write. Its error is an internal failure to render,
// never a mistake in the input.
//
// A file named DefaultOutput that starts with Header is cleanupgen's output:
// as when cleanupgen runs, its declarations do not count as the package's
// own. A file of that name without Header is a diagnostic when the package
// has clients, since cleanupgen would refuse to overwrite it.
func Analyze(src Source) (*Report, error) {
	var files []*ast.File
	for _, f := range src.Files {
		if !strings.HasSuffix(src.Fset.File(f.FileStart).Name(), "_test.go") {
			files = append(files, f)
		}
	}
	if len(files) == 0 {
		return &Report{}, nil
	}
	dir := filepath.Dir(src.Fset.File(files[0].FileStart).Name())
	p := &packages.Package{
		Name:    src.Types.Name(),
		PkgPath: src.Types.Path(),
		Dir:     dir,
		Fset:    src.Fset,
		Syntax:  files,
		Types:   src.Types,
	}
	l := &loaded{dir: dir, pkg: p, generated: map[string]bool{}, output: filepath.Join(dir, DefaultOutput)}
	var outputFile *ast.File
	for _, f := range files {
		name := src.Fset.File(f.FileStart).Name()
		p.GoFiles = append(p.GoFiles, name)
		if hasHeader(f) {
			l.generated[name] = true
		}
		if name == l.output {
			outputFile = f
		}
	}
	model, ds := check(l)
	r := &Report{Output: l.output}
	for _, cl := range model.Clients {
		r.Clients = append(r.Clients, cl.Name)
	}
	if outputFile != nil && !hasHeader(outputFile) && (len(model.Clients) > 0 || len(ds) > 0) {
		ds = append(ds, Diagnostic{Pos: src.Fset.Position(outputFile.FileStart), Msg: filepath.Base(l.output) + " exists and lacks the header " + `"` + Header + `"` + "; cleanupgen will not overwrite it: move it away or choose another -output"})
	}
	if len(ds) == 0 && len(model.Clients) > 0 {
		want, err := emit(model)
		if err != nil {
			return nil, err
		}
		r.Want = want
	}
	byName := map[string]*token.File{}
	for _, f := range files {
		tf := src.Fset.File(f.FileStart)
		byName[tf.Name()] = tf
	}
	for _, d := range ds {
		pos := files[0].Package
		if tf := byName[d.Pos.Filename]; tf != nil && d.Pos.Offset <= tf.Size() {
			pos = tf.Pos(d.Pos.Offset)
		}
		r.Diagnostics = append(r.Diagnostics, PosDiagnostic{Pos: pos, Msg: d.Msg})
	}
	return r, nil
}

// TypeComments returns the comment groups whose //cleanup: lines apply to the
// type ts declared by gd: gd's doc comment when gd declares ts alone, and
// ts's own doc and line comments.
func TypeComments(gd *ast.GenDecl, ts *ast.TypeSpec) []*ast.CommentGroup {
	groups := []*ast.CommentGroup{ts.Doc, ts.Comment}
	if gd.Lparen == token.NoPos {
		groups = append([]*ast.CommentGroup{gd.Doc}, groups...)
	}
	return groups
}

// Callable reports whether a //cleanup:close step can call the method name on
// a value of type t declared in pkg, as cleanupgen checks it: the method
// exists and has one of the shapes M(), M() error, M(context.Context) or
// M(context.Context) error. addressable says whether the value can have its
// address taken (a struct field or slice element can, a map element cannot).
func Callable(fset *token.FileSet, pkg *types.Package, t types.Type, name string, addressable bool) bool {
	c := &checker{fset: fset, l: &loaded{}, pkg: pkg}
	_, ok := c.method(t, name, addressable)
	return ok
}

// IsGuard reports whether t is runtime.Guard.
func IsGuard(t types.Type) bool { return isGuard(t) }
