package generator

import (
	"bytes"
	"go/ast"
	"go/types"
	"os"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Tolerant loading. A package may not type-check when cleanupgen runs: a
// test is written before the method it calls (a red test), or code calls a
// String method that stringer writes later in the same go generate run.
// Such errors are not cleanupgen's business unless the generation depends
// on them, which it does only through the declarations of the clients:
// their fields' types, and the types and method sets those reach. A
// function body, a variable's initializer or a declaration the clients do
// not reach never changes them (go/types checks each declaration on its
// own, and a body cannot change a type). So the decision is made on what
// the clients reach, never on which files or words a package has.

// blockingErrors returns the errors of p (a package variant, with the
// load's errors) that stop generating the clients of the files include
// accepts, or nil when they can be generated:
//   - no types at all, or an error that neither the parser nor the type
//     checker found (the go command's or the compiler's own);
//   - a go list error in one of those files, or without a position;
//   - a syntax error in one of those files that may hold a directive: the
//     declarations after it are not seen (a file without "cleanup:" in
//     it holds no client, and what the clients need from it is judged
//     below);
//   - a client of those files whose declaration reaches an invalid type:
//     an undefined type, a field or method of a broken declaration.
//
// All of p's errors are returned then, as the go command would say them.
func blockingErrors(dir string, p *packages.Package, include func(string) bool) []string {
	errs := loadErrors(dir, p)
	if len(errs) == 0 {
		return nil
	}
	if p.Types == nil || len(p.Syntax) == 0 {
		return errs
	}
	generated := generatedFiles(p)
	typeErrors := false
	for _, e := range p.Errors {
		typeErrors = typeErrors || e.Kind == packages.TypeError || e.Kind == packages.ParseError
	}
	for _, e := range p.Errors {
		file := posFile(e.Pos)
		if generated[file] {
			continue
		}
		compiler := e.Pos == "" && strings.HasPrefix(e.Msg, "# ")
		switch {
		case e.Kind == packages.TypeError:
		case !compiler && e.Kind == packages.ParseError:
			if file == "" || file == "-" || include(file) && mayHoldDirective(file) {
				return errs
			}
		case !compiler && e.Kind == packages.ListError:
			if file == "" || file == "-" || include(file) {
				return errs
			}
		default:
			// The compiler's report repeats the parser's and the type
			// checker's errors; alone, it says something they did not see.
			if !typeErrors {
				return errs
			}
		}
	}
	var files []*ast.File
	for _, f := range p.Syntax {
		if name := p.Fset.File(f.FileStart).Name(); include(name) && !generated[name] {
			files = append(files, f)
		}
	}
	decls, _ := walkDecls(files, p.Types, nil)
	w := &reach{broken: brokenPackages(p), seen: map[types.Type]bool{}}
	for _, d := range decls {
		if !d.Client() {
			continue
		}
		if d.Named == nil || w.invalid(d.Named.Underlying()) {
			return errs
		}
		if tps := d.Named.TypeParams(); tps != nil {
			for i := range tps.Len() {
				if w.invalid(tps.At(i).Constraint()) {
					return errs
				}
			}
		}
	}
	return nil
}

// mayHoldDirective reports whether the file name has "cleanup:" in any case:
// a directive, or a near miss of one, that a syntax error may hide.
func mayHoldDirective(name string) bool {
	src, err := os.ReadFile(name)
	return err != nil || bytes.Contains(bytes.ToLower(src), []byte(tool+":"))
}

// generatedFiles are the files of p with Header: the stubs and the
// generated files, whose errors are never the user's.
func generatedFiles(p *packages.Package) map[string]bool {
	generated := map[string]bool{}
	for _, f := range p.Syntax {
		if hasHeader(f) {
			generated[p.Fset.File(f.FileStart).Name()] = true
		}
	}
	return generated
}

// brokenPackages are the packages of p's import graph, p included, that
// have errors: only their types can be invalid.
func brokenPackages(p *packages.Package) map[*types.Package]bool {
	broken := map[*types.Package]bool{}
	packages.Visit([]*packages.Package{p}, nil, func(q *packages.Package) {
		if len(q.Errors) > 0 && q.Types != nil {
			broken[q.Types] = true
		}
	})
	return broken
}

// reach walks a type and what it reaches, looking for an invalid type.
// Named types of packages without errors are not entered: nothing in them
// can be invalid.
type reach struct {
	broken map[*types.Package]bool
	seen   map[types.Type]bool
}

func (w *reach) invalid(t types.Type) bool {
	if t == nil {
		return true
	}
	if w.seen[t] {
		return false
	}
	w.seen[t] = true
	switch t := t.(type) {
	case *types.Basic:
		return t.Kind() == types.Invalid
	case *types.Pointer:
		return w.invalid(t.Elem())
	case *types.Slice:
		return w.invalid(t.Elem())
	case *types.Array:
		return w.invalid(t.Elem())
	case *types.Chan:
		return w.invalid(t.Elem())
	case *types.Map:
		return w.invalid(t.Key()) || w.invalid(t.Elem())
	case *types.Tuple:
		for i := range t.Len() {
			if w.invalid(t.At(i).Type()) {
				return true
			}
		}
	case *types.Signature:
		return w.invalid(t.Params()) || w.invalid(t.Results())
	case *types.Struct:
		for i := range t.NumFields() {
			if w.invalid(t.Field(i).Type()) {
				return true
			}
		}
	case *types.Interface:
		for i := range t.NumExplicitMethods() {
			if w.invalid(t.ExplicitMethod(i).Type()) {
				return true
			}
		}
		for i := range t.NumEmbeddeds() {
			if w.invalid(t.EmbeddedType(i)) {
				return true
			}
		}
	case *types.Union:
		for i := range t.Len() {
			if w.invalid(t.Term(i).Type()) {
				return true
			}
		}
	case *types.TypeParam:
		return w.invalid(t.Constraint())
	case *types.Alias:
		if w.typeArgsInvalid(t.TypeArgs()) {
			return true
		}
		return w.broken[t.Obj().Pkg()] && w.invalid(t.Rhs())
	case *types.Named:
		if w.typeArgsInvalid(t.TypeArgs()) {
			return true
		}
		if !w.broken[t.Obj().Pkg()] {
			return false
		}
		if w.invalid(t.Underlying()) {
			return true
		}
		for i := range t.NumMethods() {
			if w.invalid(t.Method(i).Type()) {
				return true
			}
		}
	}
	return false
}

func (w *reach) typeArgsInvalid(args *types.TypeList) bool {
	for i := range args.Len() {
		if w.invalid(args.At(i)) {
			return true
		}
	}
	return false
}
