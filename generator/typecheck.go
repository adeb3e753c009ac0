package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// Loading with the stubs. Given to go/packages as Config.Overlay, the stubs
// would make it type-check every dependency from source (it cannot tell
// which export data they invalidate). Instead the go command gets them as
// its -overlay build flag, so that the export data it compiles for the
// dependencies already has them, and the packages loaded are type-checked
// here, as go/packages does without an overlay: the listed packages (and
// any package that imports one, or whose export data is missing) from
// source, with the stubs in place of their generated files, and the others
// from export data.

// metaMode lists the packages with their export data: typeCheck does the rest.
const metaMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
	packages.NeedDeps | packages.NeedModule | packages.NeedTypesSizes | packages.NeedExportFile

// writeOverlay writes the go command's -overlay file for the stand-ins
// (by path) into a new temporary directory, and returns its name and the
// function that removes the directory. With no stand-ins it writes nothing
// and returns "".
func writeOverlay(overlay map[string][]byte) (string, func(), error) {
	if len(overlay) == 0 {
		return "", func() {}, nil
	}
	dir, err := os.MkdirTemp("", "cleanupgen-overlay")
	if err != nil {
		return "", func() {}, err
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	paths := make([]string, 0, len(overlay))
	for path := range overlay {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	replace := make(map[string]string, len(overlay))
	for i, path := range paths {
		stub := filepath.Join(dir, strconv.Itoa(i)+"_"+filepath.Base(path))
		if err := os.WriteFile(stub, overlay[path], 0o644); err != nil {
			cleanup()
			return "", func() {}, err
		}
		replace[path] = stub
	}
	data, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		cleanup()
		return "", func() {}, err
	}
	file := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		cleanup()
		return "", func() {}, err
	}
	return file, cleanup, nil
}

// typeCheck fills in Fset, Syntax, Types and IllTyped of the packages listed
// (metaMode) and of their dependencies, and adds their parse and type errors
// to Errors, as packages.Load would with NeedSyntax and NeedTypes: roots
// (and packages that import a package loaded from source) are parsed, with
// the file contents of overlay in place of the files on disk, and
// type-checked, function bodies only in roots; the others are read from
// their export data.
func typeCheck(roots []*packages.Package, overlay map[string][]byte) {
	fset := token.NewFileSet()
	root := map[*packages.Package]bool{}
	for _, p := range roots {
		root[p] = true
	}
	// Dependencies first.
	var order []*packages.Package
	packages.Visit(roots, nil, func(p *packages.Package) { order = append(order, p) })
	needsrc := map[*packages.Package]bool{}
	for _, p := range order {
		p.Fset = fset
		if p.PkgPath == "unsafe" {
			p.Types = types.Unsafe
			p.Syntax = []*ast.File{}
			continue
		}
		// Every package exists before any export data is read, so that
		// reading never has to create one.
		p.Types = types.NewPackage(p.PkgPath, p.Name)
		src := root[p] || p.ExportFile == ""
		for _, imp := range p.Imports {
			src = src || needsrc[imp]
		}
		needsrc[p] = src
	}
	ps := &parser_{fset: fset, overlay: overlay, cache: map[string]*parsed{}}
	for _, p := range order {
		switch {
		case p.PkgPath == "unsafe":
		case needsrc[p]:
			checkFromSource(ps, p, root[p])
		default:
			if err := readExport(fset, p); err != nil {
				p.IllTyped = true
				p.Errors = append(p.Errors, packages.Error{Pos: "-", Msg: err.Error(), Kind: packages.UnknownError})
			}
		}
	}
}

// readExport reads p's types from its export data.
func readExport(fset *token.FileSet, p *packages.Package) error {
	if p.ExportFile == "" {
		return fmt.Errorf("no export data file")
	}
	f, err := os.Open(p.ExportFile)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return fmt.Errorf("reading %s: %v", p.ExportFile, err)
	}
	// The packages p may mention, by path: its transitive imports.
	view := map[string]*types.Package{}
	seen := map[*packages.Package]bool{}
	var visit func(map[string]*packages.Package)
	visit = func(imports map[string]*packages.Package) {
		for _, imp := range imports {
			if !seen[imp] {
				seen[imp] = true
				view[imp.PkgPath] = imp.Types
				visit(imp.Imports)
			}
		}
	}
	visit(p.Imports)
	tpkg, err := gcexportdata.Read(r, fset, view, p.PkgPath)
	if err != nil {
		return fmt.Errorf("reading %s: %v", p.ExportFile, err)
	}
	p.Types = tpkg
	return nil
}

type parsed struct {
	f   *ast.File
	err error
}

// parser_ parses each file once, with the overlay's contents for a file it
// holds.
type parser_ struct {
	fset    *token.FileSet
	overlay map[string][]byte
	cache   map[string]*parsed
}

// parse parses the file name of package p. A file that cgo wrote for one of
// p's files (in the build cache) is parsed under the name of that file, so
// that the package's clients declared there are seen where they are written
// and their generated file goes beside it.
func (ps *parser_) parse(p *packages.Package, name string) (*ast.File, error) {
	if r := ps.cache[name]; r != nil {
		return r.f, r.err
	}
	src, ok := ps.overlay[name]
	var err error
	if !ok {
		src, err = os.ReadFile(name)
	}
	r := &parsed{err: err}
	if err == nil {
		r.f, r.err = parser.ParseFile(ps.fset, cgoSource(p, name, src), src, parser.AllErrors|parser.ParseComments)
	}
	ps.cache[name] = r
	return r.f, r.err
}

// cgoSource returns the file of p that cgo rewrote into name, src: the
// rewritten file starts with a //line comment naming it. Other files are
// their own source.
func cgoSource(p *packages.Package, name string, src []byte) string {
	if filepath.Dir(name) == packageDir(p) {
		return name
	}
	orig := ""
	for line := range bytes.Lines(src) {
		if rest, ok := bytes.CutPrefix(line, []byte("//line ")); ok {
			orig = strings.TrimSpace(string(rest))
			break
		}
		if bytes.HasPrefix(line, []byte("package ")) {
			break
		}
	}
	if orig == "" {
		return name
	}
	for range 2 { // :line:col
		if i := strings.LastIndexByte(orig, ':'); i > 0 && isDigits(orig[i+1:]) {
			orig = orig[:i]
		}
	}
	for _, f := range p.GoFiles {
		if f == orig {
			return orig
		}
	}
	return name
}

// checkFromSource parses and type-checks p, as go/packages does.
func checkFromSource(ps *parser_, p *packages.Package, initial bool) {
	appendError := func(err error) {
		switch err := err.(type) {
		case packages.Error:
			p.Errors = append(p.Errors, err)
		case *os.PathError:
			p.Errors = append(p.Errors, packages.Error{Pos: err.Path + ":1", Msg: err.Err.Error(), Kind: packages.ParseError})
		case scanner.ErrorList:
			for _, e := range err {
				p.Errors = append(p.Errors, packages.Error{Pos: e.Pos.String(), Msg: e.Msg, Kind: packages.ParseError})
			}
		case types.Error:
			p.TypeErrors = append(p.TypeErrors, err)
			p.Errors = append(p.Errors, packages.Error{Pos: err.Fset.Position(err.Pos).String(), Msg: err.Msg, Kind: packages.TypeError})
		default:
			p.Errors = append(p.Errors, packages.Error{Pos: "-", Msg: err.Error(), Kind: packages.UnknownError})
		}
	}
	if len(p.CompiledGoFiles) == 0 && p.ExportFile != "" {
		appendError(packages.Error{Pos: "-", Msg: fmt.Sprintf("sources missing for package %s", p.ID), Kind: packages.ParseError})
		_ = readExport(ps.fset, p)
		return
	}
	p.Syntax = nil
	for _, name := range p.CompiledGoFiles {
		f, err := ps.parse(p, name)
		if f != nil {
			p.Syntax = append(p.Syntax, f)
		}
		if err != nil {
			appendError(err)
		}
	}
	importer := importerFunc(func(path string) (*types.Package, error) {
		if path == "unsafe" {
			return types.Unsafe, nil
		}
		imp := p.Imports[path]
		if imp == nil {
			return nil, fmt.Errorf("no metadata for %s", path)
		}
		if imp.Types != nil && imp.Types.Complete() {
			return imp.Types, nil
		}
		return nil, fmt.Errorf("no export data for %s", path)
	})
	conf := &types.Config{
		Importer:         importer,
		IgnoreFuncBodies: !initial,
		Error:            appendError,
		Sizes:            p.TypesSizes,
	}
	if p.Module != nil && p.Module.GoVersion != "" {
		conf.GoVersion = "go" + p.Module.GoVersion
	}
	err := types.NewChecker(conf, ps.fset, p.Types, nil).Files(p.Syntax)
	if err != nil && len(p.Errors) == 0 {
		appendError(err)
	}
	ill := len(p.Errors) > 0
	for _, imp := range p.Imports {
		ill = ill || imp.IllTyped
	}
	p.IllTyped = ill
}
