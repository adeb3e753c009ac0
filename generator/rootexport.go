package generator

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// The second go list compiles export data (-export) for every package it
// lists, the packages of the patterns included, although cleanupgen
// type-checks those from source and never reads their export data. After
// each edit, that compile of the package being generated is what a run
// waits for most (at 300 clients, 0.3 s of CPU), and a package that does
// not compile yet (a red test, a String method not generated yet) fails it
// on every run. So the go command is given, for the files of the listed
// packages, their imports alone: the same header (build constraints), the
// same package clause and the same imports on the same lines, each made a
// blank import. go list then lists the same files and imports, and the
// compile is trivial and cached until the imports change. cleanupgen's own
// parser reads the real files.
//
// Packages where that could change what go list reports keep their files:
// cgo packages (cgo rewrites the files themselves), packages with other
// source files (assembly refers to Go declarations), and main packages (the
// compiler wants func main).

// importsOnly adds to overlay, for the .go files of the listed packages
// that are not already in it, their imports alone (see above), and returns
// the import paths of the packages so treated.
func importsOnly(roots []*packages.Package, overlay map[string][]byte) map[string]bool {
	keep := map[string]bool{} // directories whose files are kept
	for _, p := range roots {
		if !inMainModule(p) || p.Name == "main" || len(p.OtherFiles) > 0 {
			keep[packageDir(p)] = true
		}
	}
	type file struct {
		path string
		src  []byte
	}
	var files []file
	for _, p := range roots {
		dir := packageDir(p)
		if keep[dir] {
			continue
		}
		for _, path := range p.GoFiles {
			if _, ok := overlay[path]; ok || !strings.HasSuffix(path, ".go") || slices.ContainsFunc(files, func(f file) bool { return f.path == path }) {
				continue
			}
			src, err := os.ReadFile(path)
			if err != nil {
				keep[dir] = true
				break
			}
			stub, cgo := importsOf(path, src)
			if cgo || stub == nil {
				keep[dir] = true
				break
			}
			files = append(files, file{path, stub})
		}
	}
	done := map[string]bool{}
	for _, f := range files {
		if !keep[filepath.Dir(f.path)] {
			overlay[f.path] = f.src
		}
	}
	for _, p := range roots {
		if !keep[packageDir(p)] {
			done[p.PkgPath] = true
		}
	}
	return done
}

// importsOf returns src up to the end of its imports, each import made a
// blank one in place, or nil when src does not parse. cgo reports an
// import of "C".
func importsOf(name string, src []byte) (out []byte, cgo bool) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly|parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, false
	}
	end := fset.Position(f.Name.End()).Offset
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT {
			end = fset.Position(gd.End()).Offset
		}
	}
	var b bytes.Buffer
	last := 0
	for _, spec := range f.Imports {
		if spec.Path.Value == `"C"` {
			return nil, true
		}
		if spec.Name != nil {
			b.Write(src[last:fset.Position(spec.Name.Pos()).Offset])
			b.WriteString("_")
			last = fset.Position(spec.Name.End()).Offset
		} else {
			off := fset.Position(spec.Path.Pos()).Offset
			b.Write(src[last:off])
			b.WriteString("_ ")
			last = off
		}
	}
	b.Write(src[last:end])
	b.WriteString("\n")
	return b.Bytes(), false
}

// withoutCompilerReports drops the compiler's reports (go list -export's
// "# pkg" errors) from the packages whose files were given as importsOnly:
// they are about the imports-only copies. The parser and the type checker
// say what is wrong with the real files.
func withoutCompilerReports(pkgs []*packages.Package, done map[string]bool) {
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if !done[p.PkgPath] {
			return
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e packages.Error) bool {
			return e.Pos == "" && strings.HasPrefix(e.Msg, "# ")
		})
	})
}
