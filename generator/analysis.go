package generator

import (
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
)

// This file is the generator seen from a vet analyzer: the same walk, the
// same checks and the same emitter, over a package that is already parsed
// and type-checked (a go/analysis pass) instead of one that cleanupgen loads.

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
	// Decls are the package-level type declarations, as the one walk over
	// the package sees them, in source order.
	Decls []*TypeDecl
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
// A file that starts with Header, whatever its name (cleanupgen -output),
// is cleanupgen's output: as when cleanupgen runs, its declarations do not
// count as the package's own. A file named DefaultOutput without Header is a
// diagnostic when the package has clients, since cleanupgen would refuse to
// overwrite it.
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
	output := filepath.Join(dir, DefaultOutput)
	var outputFile *ast.File
	for _, f := range files {
		if src.Fset.File(f.FileStart).Name() == output {
			outputFile = f
		}
	}
	ours := outputFile != nil && hasHeader(outputFile)
	// Any file with the Header is cleanupgen's, whatever its name (-output).
	generated := map[string]bool{}
	for _, f := range files {
		if hasHeader(f) {
			generated[src.Fset.File(f.FileStart).Name()] = true
		}
	}
	s := &source{fset: src.Fset, files: files, pkg: src.Types, dir: dir,
		isOutput: func(name string) bool { return generated[name] }}
	model, decls, ds := checkSource(s)
	r := &Report{Output: output, Decls: decls}
	for _, cl := range model.Clients {
		r.Clients = append(r.Clients, cl.Name)
	}
	if outputFile != nil && !ours && (len(model.Clients) > 0 || len(ds) > 0) {
		ds = append(ds, Diagnostic{Pos: src.Fset.Position(outputFile.FileStart), Msg: filepath.Base(output) + " exists and lacks the header " + `"` + Header + `"` + "; cleanupgen will not overwrite it: move it away or choose another -output"})
	}
	// The clients of constrained files are generated into files of their
	// own (see build.go); DefaultOutput holds the others.
	shared := *model
	shared.Clients = nil
	for _, cl := range model.Clients {
		if cl.Shared {
			shared.Clients = append(shared.Clients, cl)
		}
	}
	if len(ds) == 0 && len(shared.Clients) > 0 {
		want, err := emit(&shared)
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
