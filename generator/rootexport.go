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
// source files (assembly refers to Go declarations), and the packages that
// either imports. A main package gets an
// empty func main in its first file, which the compiler wants. The
// compiler's reports are dropped for the packages so treated and for those
// that import one: they are about the copies.

// importsOnly adds to overlay, for the .go files of the listed packages
// that are not already in it, their imports alone (see above), and returns
// the import paths of the packages so treated.
func importsOnly(roots []*packages.Package, overlay map[string][]byte) map[string]bool {
	keep := map[string]bool{} // directories whose files are kept
	for _, p := range roots {
		if !inMainModule(p) {
			keep[packageDir(p)] = true
		}
	}
	// A cgo package, or one with assembly, is compiled for real (its
	// CompiledGoFiles are cgo's output; its assembly needs the Go
	// declarations): the packages it imports keep their files.
	reached := map[*packages.Package]bool{}
	var reach func(p *packages.Package)
	reach = func(p *packages.Package) {
		if reached[p] {
			return
		}
		reached[p] = true
		keep[packageDir(p)] = true
		for _, imp := range p.Imports {
			reach(imp)
		}
	}
	packages.Visit(roots, nil, func(p *packages.Package) {
		if inMainModule(p) && (len(p.OtherFiles) > 0 || p.Imports["runtime/cgo"] != nil) {
			reach(p)
		}
	})
	type file struct {
		path string
		src  []byte
	}
	var files []file
	seen := map[string]bool{}
	for _, p := range roots {
		dir := packageDir(p)
		if keep[dir] {
			continue
		}
		for _, path := range p.GoFiles {
			if _, ok := overlay[path]; ok || !strings.HasSuffix(path, ".go") || seen[path] {
				continue
			}
			seen[path] = true
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
	copied := map[string]bool{}
	for _, f := range files {
		if !keep[filepath.Dir(f.path)] {
			overlay[f.path] = f.src
			copied[f.path] = true
		}
	}
	mains := map[string]string{} // directory -> the first file of a main package
	for _, p := range roots {
		if p.Name != "main" {
			continue
		}
		dir := packageDir(p)
		for _, path := range p.GoFiles {
			if copied[path] && !isTestFile(path) && (mains[dir] == "" || path < mains[dir]) {
				mains[dir] = path
			}
		}
	}
	for _, path := range mains {
		overlay[path] = append(overlay[path], "\nfunc main() {}\n"...)
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
// "# pkg" errors) from the packages whose files were given as importsOnly,
// and from those that import one: they are about the imports-only copies. The parser and the type checker
// say what is wrong with the real files.
func withoutCompilerReports(pkgs []*packages.Package, done map[string]bool) {
	copies := map[*packages.Package]bool{} // p, or a package it imports, was given as copies
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		c := done[p.PkgPath] && inMainModule(p)
		for _, imp := range p.Imports {
			c = c || copies[imp]
		}
		copies[p] = c
		if !c {
			return
		}
		p.Errors = slices.DeleteFunc(p.Errors, func(e packages.Error) bool {
			return e.Pos == "" && strings.HasPrefix(e.Msg, "# ")
		})
	})
}
