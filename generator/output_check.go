package generator

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/types"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// An InternalError is a bug in cleanupgen: the code it generated does not
// compile with the package it was generated for. Nothing is written then.
type InternalError struct {
	Pkg  string   // the package's import path
	Errs []string // file:line:col: message, positions in the generated code
}

func (e *InternalError) Error() string {
	return fmt.Sprintf("internal error: generated code for %s does not compile: %s\n"+
		"\tthis is a bug in cleanupgen; nothing was written. Please report it with the declarations of the package's clients.",
		e.Pkg, strings.Join(e.Errs, "\n\t"))
}

// testHookOutput, when not nil, sees each generated file before it is
// type-checked: tests use it to plant the emitter bug that checking catches.
var testHookOutput func(path string, src []byte) []byte

// maxCompileErrors bounds the errors an InternalError lists.
const maxCompileErrors = 10

// checkOutputs type-checks each package variant with its generated files as
// this run would write them (outputs, by path; nil: the file is removed), in
// place of the stubs it was loaded with, and checks that each client still
// has the Close and CloseContext methods its dependents were checked
// against. It returns an *InternalError for the first variant that fails.
//
// A variant none of whose generated files changes (changed, by path) is
// not checked: nothing is written for it. A variant that did not type-check
// with the stubs (a red test, a method another generator writes later) is
// held to its own errors: only an error that the output adds fails it.
func checkOutputs(variants []*packages.Package, outputs map[string][]byte, changed map[string]bool, stubs map[string]*stubFile) error {
	for _, v := range variants {
		writes := false
		var files []*ast.File
		var errs []string
		for _, f := range v.Syntax {
			name := v.Fset.File(f.FileStart).Name()
			src, ours := outputs[name]
			if !ours {
				files = append(files, withoutBodies(f))
				continue
			}
			writes = writes || changed[name]
			if src == nil {
				continue
			}
			nf, err := parser.ParseFile(v.Fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				var list interface{ Unwrap() []error }
				if errors.As(err, &list) && len(list.Unwrap()) > 0 {
					err = list.Unwrap()[0]
				}
				errs = append(errs, relPos(err.Error()))
				continue
			}
			files = append(files, nf)
		}
		if !writes {
			continue
		}
		if len(errs) > 0 {
			return &InternalError{Pkg: v.PkgPath, Errs: errs}
		}
		before := map[string]bool{}
		for _, e := range v.TypeErrors {
			before[typeErrorKey(e)] = true
		}
		conf := types.Config{
			Importer: graphImporter(v),
			Sizes:    v.TypesSizes,
			Error: func(err error) {
				if te, ok := err.(types.Error); ok && (before[typeErrorKey(te)] || unusedImport(te, outputs)) {
					return
				}
				if len(errs) < maxCompileErrors {
					errs = append(errs, relPos(err.Error()))
				}
			},
		}
		if v.Module != nil && v.Module.GoVersion != "" {
			conf.GoVersion = "go" + v.Module.GoVersion
		}
		pkg := types.NewPackage(v.PkgPath, v.Name)
		_ = types.NewChecker(&conf, v.Fset, pkg, nil).Files(files)
		if len(errs) == 0 {
			errs = checkMethods(pkg, v, outputs, stubs)
		}
		if len(errs) > 0 {
			return &InternalError{Pkg: v.PkgPath, Errs: errs}
		}
	}
	return nil
}

// checkMethods reports the clients whose generated Close or CloseContext
// differs from the stub that their dependents were type-checked against.
func checkMethods(pkg *types.Package, v *packages.Package, outputs map[string][]byte, stubs map[string]*stubFile) []string {
	var errs []string
	qual := func(p *types.Package) string { return p.Name() }
	want := func(name string) string {
		if name == "Close" {
			return "func() error"
		}
		return "func(context.Context) error"
	}
	var paths []string
	for path := range outputs {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		s := stubs[path]
		if s == nil || outputs[path] == nil || !inVariant(v, path) {
			continue
		}
		for _, t := range s.types {
			obj, _ := pkg.Scope().Lookup(t.name).(*types.TypeName)
			if obj == nil {
				continue
			}
			for _, name := range t.generated() {
				if s.declared[t.name+"."+name] || contains(t.fields, name) {
					continue
				}
				m, _, _ := types.LookupFieldOrMethod(types.NewPointer(obj.Type()), false, pkg, name)
				fn, ok := m.(*types.Func)
				if !ok {
					errs = append(errs, fmt.Sprintf("%s: *%s has no method %s", relPath(path), t.name, name))
					continue
				}
				if got := signature(fn.Type().(*types.Signature), qual); got != want(name) {
					errs = append(errs, fmt.Sprintf("%s: (*%s).%s has type %s, want %s", relPath(path), t.name, name, got, want(name)))
				}
			}
		}
	}
	return errs
}

// withoutBodies returns f, or when f declares functions with bodies, a copy
// of f whose functions have none. Only the output's bodies need checking:
// the package's own were checked when it was loaded, and nothing the output
// declares can change them (its package-level names are new, and
// checkMethods holds its Close and CloseContext to the stubs' signatures).
// Generic functions and init keep theirs, which go/types requires.
func withoutBodies(f *ast.File) *ast.File {
	var decls []ast.Decl
	for i, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Body == nil || fd.Type.TypeParams != nil || (fd.Recv == nil && fd.Name.Name == "init") {
			continue
		}
		if decls == nil {
			decls = slices.Clone(f.Decls)
		}
		nfd := *fd
		nfd.Body = nil
		decls[i] = &nfd
	}
	if decls == nil {
		return f
	}
	nf := *f
	nf.Decls = decls
	return &nf
}

// unusedImport reports whether e says that an import of one of the
// package's own files is not used: it was, in a body withoutBodies removed.
func unusedImport(e types.Error, outputs map[string][]byte) bool {
	if _, ours := outputs[e.Fset.Position(e.Pos).Filename]; ours {
		return false
	}
	return strings.HasSuffix(e.Msg, " imported and not used") || strings.Contains(e.Msg, " imported as ") && strings.HasSuffix(e.Msg, " and not used")
}

// typeErrorKey identifies a type error across two checks of the same files.
func typeErrorKey(e types.Error) string {
	return e.Fset.Position(e.Pos).String() + ": " + e.Msg
}

// signature spells sig without parameter names.
func signature(sig *types.Signature, qual types.Qualifier) string {
	tuple := func(t *types.Tuple) string {
		parts := make([]string, t.Len())
		for i := range t.Len() {
			parts[i] = types.TypeString(t.At(i).Type(), qual)
		}
		return strings.Join(parts, ", ")
	}
	s := "func(" + tuple(sig.Params()) + ")"
	switch sig.Results().Len() {
	case 0:
	case 1:
		s += " " + tuple(sig.Results())
	default:
		s += " (" + tuple(sig.Results()) + ")"
	}
	return s
}

func inVariant(v *packages.Package, path string) bool {
	for _, f := range v.Syntax {
		if v.Fset.File(f.FileStart).Name() == path {
			return true
		}
	}
	return false
}

// graphImporter imports the packages of v's import graph, as they were
// loaded: with the stubs in place of generated files, so that the types
// match those v was checked against.
func graphImporter(v *packages.Package) types.Importer {
	var byPath map[string]*types.Package
	return importerFunc(func(path string) (*types.Package, error) {
		if path == "unsafe" {
			return types.Unsafe, nil
		}
		if p := v.Imports[path]; p != nil && p.Types != nil {
			return p.Types, nil
		}
		if byPath == nil {
			byPath = map[string]*types.Package{}
			packages.Visit([]*packages.Package{v}, nil, func(p *packages.Package) {
				if p.Types != nil && byPath[p.PkgPath] == nil {
					byPath[p.PkgPath] = p.Types
				}
			})
		}
		if p := byPath[path]; p != nil {
			return p, nil
		}
		return nil, fmt.Errorf("package %s is not among the dependencies of %s", path, v.PkgPath)
	})
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
