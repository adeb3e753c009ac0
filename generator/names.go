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
func (c *checker) names(p *Package, decls []*TypeDecl) {
	p.names = map[string]bool{}
	where := map[string]string{}
	for _, name := range c.pkg.Scope().Names() {
		if obj := c.pkg.Scope().Lookup(name); !c.src.inOutput(obj.Pos()) {
			p.names[name] = true
			where[name] = c.where(obj.Pos())
		}
	}
	other, others := c.otherFileNames()
	for name, pos := range other {
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
			if st.Each != nil && st.Each.Map && !slices.Contains(used, "make") {
				used = append(slices.Clone(used), "make")
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
		for _, tp := range cl.TypeParams {
			name := tp.Obj().Name()
			if name == "_" {
				name = free(taken, "P")
			}
			cl.TypeParamNames = append(cl.TypeParamNames, name)
		}
	}
	// The names are chosen for every client of the directory's package, in
	// every file and build configuration, in the order of their names:
	// each generated file (of test files, of a build configuration) is
	// written by a run that sees only some of them, and a client ConnRefs
	// in a test file must not take the cleanupConnRefs of a client Conn.
	type named struct{ plan, plans, refs string }
	byName := map[string]named{}
	for _, d := range c.allClients(decls, others) {
		var n named
		if d.generic {
			n.plan = free(taken, "cleanup"+d.name+"Steps")
			n.plans = free(taken, "cleanup"+d.name+"Plans")
		} else {
			n.plan = free(taken, "cleanup"+d.name)
		}
		n.refs = free(taken, "cleanup"+d.name+"Refs")
		byName[d.name] = n
	}
	for _, cl := range p.Clients {
		n := byName[cl.Name]
		cl.PlanName, cl.PlansName, cl.RefsName = n.plan, n.plans, n.refs
	}
}

// clientDecl is a //cleanup:client type of the package, as read from the
// syntax of any of its files.
type clientDecl struct {
	name    string
	generic bool
}

// allClients returns the //cleanup:client struct types of the package's
// files, the loaded ones (decls) and the others, sorted by name, each once.
func (c *checker) allClients(decls []*TypeDecl, others []clientDecl) []clientDecl {
	seen := map[string]int{}
	var out []clientDecl
	add := func(d clientDecl) {
		if i, ok := seen[d.name]; ok {
			out[i].generic = out[i].generic || d.generic
			return
		}
		seen[d.name] = len(out)
		out = append(out, d)
	}
	for _, d := range decls {
		if d.Client() && d.Struct != nil {
			add(clientDecl{name: d.Spec.Name.Name, generic: d.Spec.TypeParams != nil})
		}
	}
	for _, d := range others {
		add(d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// otherFileNames returns the package-level names declared in the .go files
// of the package's directory that were not loaded (_test.go files, files of
// other build configurations), with where each is declared, and the
// //cleanup:client types they declare. Generated files are left out: their
// names are chosen by the same rules.
func (c *checker) otherFileNames() (out map[string]string, clients []clientDecl) {
	out = map[string]string{}
	if c.src.dir == "" {
		return out, nil
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
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments|parser.SkipObjectResolution)
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
						if _, isStruct := s.Type.(*ast.StructType); isStruct && !s.Assign.IsValid() {
							if marked, _ := markedClient(d, s); marked {
								clients = append(clients, clientDecl{name: s.Name.Name, generic: s.TypeParams != nil})
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							add(n)
						}
					}
				}
			}
		}
	}
	return out, clients
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
