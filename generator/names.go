package generator

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// This file chooses the generated identifiers so that none can collide with
// a name of the package: generated code that does not compile is a bug.

// predeclared are the predeclared identifiers that generated code uses: a
// package that declares one of them at package level, or names a type
// parameter after one, cannot be generated for.
var predeclared = []string{"append", "bool", "complex128", "error", "float64", "int", "int64", "len", "nil", "recover", "string", "uint64"}

// names fills p.names and chooses each client's generated package-level
// names: cleanupT (cleanupTSteps and cleanupTPlans for a generic T) and
// cleanupTRefs, or, when the package already declares
// one of them (in any file of its directory, _test.go files and files of
// other build configurations included), the first free one of cleanupT2,
// cleanupT3 and so on.
func (c *checker) names(p *Package) {
	p.names = map[string]bool{}
	where := map[string]string{}
	for _, name := range c.pkg.Scope().Names() {
		if obj := c.pkg.Scope().Lookup(name); !c.src.inOutput(obj.Pos()) {
			p.names[name] = true
			where[name] = c.where(obj.Pos())
		}
	}
	for name, pos := range c.otherFileNames() {
		if !p.names[name] {
			p.names[name] = true
			where[name] = pos
		}
	}
	for _, cl := range p.Clients {
		for _, tp := range cl.TypeParams {
			name := tp.Obj().Name()
			p.names[name] = true
			if _, ok := where[name]; !ok {
				where[name] = "a type parameter of " + cl.Name + " (" + c.where(tp.Obj().Pos()) + ")"
			}
		}
	}
	used := predeclared
	for _, cl := range p.Clients {
		for _, st := range cl.Steps {
			if st.Chan && !slices.Contains(used, "close") {
				used = append(slices.Clone(used), "close")
			}
		}
	}
	for _, name := range used {
		if p.names[name] {
			c.errorf(p.Clients[0].Pos, "the package declares %s (%s), which shadows the predeclared identifier that the generated code uses; rename it", name, where[name])
		}
	}
	taken := copySet(p.names)
	for _, cl := range p.Clients {
		if cl.Generic() {
			cl.PlanName = free(taken, "cleanup"+cl.Name+"Steps")
			cl.PlansName = free(taken, "cleanup"+cl.Name+"Plans")
		} else {
			cl.PlanName = free(taken, "cleanup"+cl.Name)
		}
		cl.RefsName = free(taken, "cleanup"+cl.Name+"Refs")
	}
}

// otherFileNames returns the package-level names declared in the .go files
// of the package's directory that were not loaded (_test.go files, files of
// other build configurations), with where each is declared. Generated files
// are left out: their names are chosen by the same rules.
func (c *checker) otherFileNames() map[string]string {
	out := map[string]string{}
	if c.src.dir == "" {
		return out
	}
	loaded := map[string]bool{}
	for _, f := range c.src.files {
		loaded[c.fset.File(f.FileStart).Name()] = true
	}
	paths, _ := filepath.Glob(filepath.Join(c.src.dir, "*.go"))
	sort.Strings(paths)
	fset := token.NewFileSet()
	for _, path := range paths {
		if loaded[path] || c.src.isOutput(path) {
			continue
		}
		src, err := os.ReadFile(path)
		if err != nil || hasHeaderSource(src) {
			continue
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil || f.Name.Name != c.pkg.Name() {
			continue
		}
		add := func(id *ast.Ident) {
			if id.Name == "_" {
				return
			}
			if _, ok := out[id.Name]; !ok {
				p := fset.Position(id.Pos())
				out[id.Name] = fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
			}
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					add(d.Name)
				}
			case *ast.GenDecl:
				for _, spec := range d.Specs {
					switch s := spec.(type) {
					case *ast.TypeSpec:
						add(s.Name)
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n)
						}
					}
				}
			}
		}
	}
	return out
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// free returns base, or base2, base3, ... the first that is not taken, and
// takes it.
func free(taken map[string]bool, base string) string {
	name := base
	for n := 2; taken[name]; n++ {
		name = fmt.Sprintf("%s%d", base, n)
	}
	taken[name] = true
	return name
}

// locals are the identifiers that generated function bodies declare,
// chosen not to shadow any name the bodies use.
type locals struct {
	x, r, ctx, step, elem, force, i, k, e, p, ok, zero string
}

func newLocals(taken map[string]bool) *locals {
	return &locals{
		x: free(taken, "x"), r: free(taken, "r"), ctx: free(taken, "ctx"),
		step: free(taken, "step"), elem: free(taken, "elem"), force: free(taken, "force"),
		i: free(taken, "i"), k: free(taken, "k"), e: free(taken, "e"), p: free(taken, "p"), ok: free(taken, "ok"),
		zero: free(taken, "zero"),
	}
}

// refsNames chooses the refs struct's field and method names of a client:
// the field names where they are free, since they read best.
// A type parameter E whose values are skipped when zero gets a method
// zeroE.
func refsNames(cl *Client) {
	taken := map[string]bool{"Take": true, "TakeStep": true, "Drop": true, "Len": true, "Name": true, "Close": true}
	cl.zeroMethods = map[string]string{}
	for _, st := range cl.Steps {
		base := st.Field.Name
		if base == "_" {
			base = "blank"
		}
		st.Ref = free(taken, base)
	}
	for _, st := range cl.Steps {
		if st.Skip == SkipZero && st.Each == nil {
			tp := types.Unalias(st.Field.Type).(*types.TypeParam).Obj().Name()
			if cl.zeroMethods[tp] == "" {
				cl.zeroMethods[tp] = free(taken, "zero"+tp)
			}
		}
		if st.Each == nil {
			continue
		}
		if st.Skip == SkipZero {
			tp := st.Each.Elem.(*types.TypeParam).Obj().Name()
			if cl.zeroMethods[tp] == "" {
				cl.zeroMethods[tp] = free(taken, "zero"+tp)
			}
		}
		if st.Each.Map {
			st.Each.Keys = free(taken, st.Ref+"Keys")
		} else if st.Skip != SkipNever {
			st.Each.At = free(taken, st.Ref+"At")
		}
	}
}

// joinNames joins names as prose: a, b and c.
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
