package generator

import (
	"bytes"
	"fmt"
	"go/types"
	"sort"
	"strings"

	"github.com/dave/jennifer/jen"
)

const (
	pkgContext = "context"
	pkgTime    = "time"
	pkgStrconv = "strconv"
	pkgSlices  = "slices"
	pkgSync    = "sync"
)

// The generated code is data plus one function, as stringer's is: per
// client a runtime.Plan (the timeout and the steps, by phase) and a refs
// struct whose methods copy and drop the fields and run step i in one
// switch. The contract is documented once, in the runtime.

// emitter renders the generated file of one package.
type emitter struct {
	f     *jen.File
	w     *typeWriter
	p     *Package
	l     *locals
	taken map[string]bool // names of the package, generated names and locals
}

// emit renders the generated file of p: gofmt-clean and byte-for-byte
// deterministic for the same model.
func emit(p *Package) ([]byte, error) {
	f := jen.NewFilePathName(p.Path, p.Name)
	f.HeaderComment(Header)
	taken := copySet(p.names)
	for _, cl := range p.Clients {
		taken[cl.PlanName], taken[cl.RefsName] = true, true
	}
	e := &emitter{f: f, w: &typeWriter{local: p.Types, imports: map[string]string{}}, p: p, l: newLocals(taken), taken: taken}
	for _, path := range []string{pkgContext, RuntimePath, pkgTime, pkgStrconv, pkgSlices, pkgSync} {
		e.w.imports[path] = path[strings.LastIndexByte(path, '/')+1:]
	}
	for i, cl := range p.Clients {
		if i > 0 {
			f.Line()
		}
		refsNames(cl)
		e.client(cl)
	}
	// Import names: the real package names, aliased only when one is taken
	// by a name of the package, a type parameter, a local name of the
	// generated code or another import.
	paths := make([]string, 0, len(e.w.imports))
	for path := range e.w.imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		name := e.w.imports[path]
		alias := name
		for n := 1; taken[alias]; n++ {
			alias = fmt.Sprintf("%s%d", name, n)
		}
		taken[alias] = true
		if alias == name {
			f.ImportName(path, name)
		} else {
			f.ImportAlias(path, alias)
		}
	}
	// Render formats the file, the one formatting pass; grouping the
	// imports afterwards keeps it gofmt-clean.
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", p.Path, err)
	}
	return groupImports(buf.Bytes()), nil
}

// groupImports puts the standard library imports of jennifer's single
// import block, sorted by path, first and the others after a blank line,
// as goimports does. gofmt sorts each group alone and aligns nothing in an
// import block, so the result is as gofmt-clean as src.
func groupImports(src []byte) []byte {
	start := bytes.Index(src, []byte("\nimport (\n"))
	if start < 0 {
		return src
	}
	start += len("\nimport (\n")
	n := bytes.Index(src[start:], []byte("\n)\n"))
	if n < 0 {
		return src
	}
	var std, other []string
	for line := range strings.Lines(string(src[start : start+n])) {
		line = strings.TrimRight(line, "\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		path := line[strings.IndexByte(line, '"')+1:]
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, line)
		} else {
			std = append(std, line)
		}
	}
	block := strings.Join(std, "\n")
	if len(std) > 0 && len(other) > 0 {
		block += "\n\n"
	}
	block += strings.Join(other, "\n")
	out := append([]byte{}, src[:start]...)
	out = append(out, block...)
	return append(out, src[start+n:]...)
}

// generic is s[P, Q] for the client's type parameters, or s.
func generic(cl *Client, s *jen.Statement) *jen.Statement {
	if cl.Generic() {
		s.Types(typeArgNames(cl.TypeParamNames)...)
	}
	return s
}

func (e *emitter) client(cl *Client) {
	f, l := e.f, e.l
	recv := func() *jen.Statement { return generic(cl, jen.Id(cl.Name)) }
	refs := func() *jen.Statement { return generic(cl, jen.Id(cl.RefsName)) }
	x := func() *jen.Statement { return jen.Id(l.x) }
	r := func() *jen.Statement { return jen.Id(l.r) }
	typeName := e.p.Name + "." + cl.Name

	closeName := "CloseContext"
	if cl.Method != "" {
		closeName = cl.Method
	} else {
		f.Commentf("Close is CloseContext(context.Background()): it returns within %s.", cl.Timeout)
		f.Func().Params(x().Op("*").Add(recv())).Id("Close").Params().Error().Block(
			jen.Return(x().Dot("CloseContext").Call(jen.Qual(pkgContext, "Background").Call())),
		)
		f.Line()
	}

	comment(f, closeContextDoc(cl, closeName, l.x))
	planType := jen.Qual(RuntimePath, "Plan").Types(recv(), refs())
	guardArgs := []jen.Code{jen.Id(l.ctx), jen.Op("&").Add(x()).Dot(cl.Guard), x()}
	steps := jen.Index().Qual(RuntimePath, "Step").ValuesFunc(func(g *jen.Group) {
		for _, st := range cl.Steps {
			g.Line().Add(stepValue(st))
		}
		if len(cl.Steps) > 0 {
			g.Line()
		}
	})
	// Locked: Drop takes lock= locks, so the runtime never runs it inside
	// Guard.Leave, whose caller may hold one.
	locked := func(g *jen.Group, line bool) {
		switch {
		case len(cl.Locks) == 0:
		case line:
			g.Line().Id("Locked").Op(":").True()
		default:
			g.Id("Locked").Op(":").True()
		}
	}
	planFields := func(steps jen.Code) *jen.Statement {
		return planType.Clone().ValuesFunc(func(g *jen.Group) {
			g.Id("Type").Op(":").Lit(typeName)
			g.Id("Timeout").Op(":").Add(durationCode(cl.Timeout))
			g.Id("Steps").Op(":").Add(steps)
			locked(g, false)
		})
	}
	if cl.Generic() {
		// A generic type's plan cannot be a package-level variable: each
		// instantiation's is made once and kept in a sync.Map, keyed by a
		// nil pointer of the instantiated type (no allocation to look it up).
		key := func() *jen.Statement { return jen.Parens(jen.Op("*").Add(recv())).Call(jen.Nil()) }
		f.Func().Params(x().Op("*").Add(recv())).Id(closeName).Params(jen.Id(l.ctx).Qual(pkgContext, "Context")).Error().Block(
			jen.List(jen.Id(l.p), jen.Id(l.ok)).Op(":=").Id(cl.PlansName).Dot("Load").Call(key()),
			jen.If(jen.Op("!").Id(l.ok)).Block(
				jen.List(jen.Id(l.p), jen.Id("_")).Op("=").Id(cl.PlansName).Dot("LoadOrStore").Call(key(), jen.Op("&").Add(planFields(jen.Id(cl.PlanName)))),
			),
			jen.Return(jen.Id(l.p).Assert(jen.Op("*").Add(planType.Clone())).Dot("Close").Call(guardArgs...)),
		)
		f.Line()
		f.Commentf("%s are the teardown steps of %s.", cl.PlanName, cl.Name)
		f.Var().Id(cl.PlanName).Op("=").Add(steps)
		f.Line()
		f.Commentf("%s holds the teardown plan of each instantiation of %s.", cl.PlansName, cl.Name)
		f.Var().Id(cl.PlansName).Qual(pkgSync, "Map")
	} else {
		f.Func().Params(x().Op("*").Add(recv())).Id(closeName).Params(jen.Id(l.ctx).Qual(pkgContext, "Context")).Error().Block(
			jen.Return(jen.Id(cl.PlanName).Dot("Close").Call(guardArgs...)),
		)
		f.Line()
		f.Commentf("%s is the teardown plan of %s.", cl.PlanName, cl.Name)
		f.Var().Id(cl.PlanName).Op("=").Add(planType.Clone().ValuesFunc(func(g *jen.Group) {
			g.Line().Id("Type").Op(":").Lit(typeName)
			g.Line().Id("Timeout").Op(":").Add(durationCode(cl.Timeout))
			g.Line().Id("Steps").Op(":").Add(steps)
			locked(g, true)
			g.Line()
		}))
	}
	f.Line()

	// The refs struct.
	var fields []jen.Code
	for _, fld := range cl.Fields {
		st := fld.Step
		if st == nil {
			continue
		}
		fields = append(fields, jen.Id(st.Ref).Add(e.refType(st)))
		if st.Each != nil && st.Each.Keys != "" {
			fields = append(fields, jen.Id(st.Each.Keys).Index().Add(e.w.typ(st.Each.Key)))
		}
		if st.Each != nil && st.Each.At != "" {
			fields = append(fields, jen.Id(st.Each.At).Index().Int())
		}
	}
	f.Commentf("%s holds the fields of %s that its steps use.", cl.RefsName, cl.Name)
	decl := f.Type().Id(cl.RefsName)
	if cl.Generic() {
		decl.Types(e.w.typeParams(cl.TypeParams, cl.TypeParamNames)...)
	}
	decl.Struct(fields...)
	f.Line()

	// The compile-time guard.
	f.Commentf("If this does not compile, run cleanupgen again: a field of %s that it manages was", cl.Name)
	f.Comment("renamed, removed or retyped.")
	checks := []jen.Code{
		jen.Var().Id("_").Qual(RuntimePath, "Refs").Types(recv()).Op("=").Parens(jen.Op("*").Add(refs())).Call(jen.Nil()),
		jen.Var().Id("_").Qual(RuntimePath, "StepTaker").Types(recv()).Op("=").Parens(jen.Op("*").Add(refs())).Call(jen.Nil()),
	}
	for _, fld := range cl.Fields {
		checks = append(checks, jen.Var().Id("_").Op("*").Add(e.w.typ(fld.Type)).Op("=").Op("&").Add(x()).Dot(fld.Name))
	}
	guard := f.Func().Id("_")
	if cl.Generic() {
		guard.Types(e.w.typeParams(cl.TypeParams, cl.TypeParamNames)...)
	}
	guard.Params(x().Op("*").Add(recv())).Block(checks...)
	f.Line()

	// The methods.
	method := func(recvName string) *jen.Statement {
		return f.Func().Params(jen.Id(recvName).Op("*").Add(refs()))
	}
	if len(cl.Steps) == 0 {
		method("").Id("Take").Params(jen.Op("*").Add(recv())).Block()
		f.Line()
		method("").Id("TakeStep").Params(jen.Op("*").Add(recv()), jen.Int()).Block()
	} else {
		method(l.r).Id("Take").Params(x().Op("*").Add(recv())).Block(
			jen.For(jen.Id(l.step).Op(":=").Range().Lit(len(cl.Steps))).Block(
				r().Dot("TakeStep").Call(x(), jen.Id(l.step)),
			),
		)
		f.Line()
		method(l.r).Id("TakeStep").Params(x().Op("*").Add(recv()), jen.Id(l.step).Int()).Block(
			jen.Switch(jen.Id(l.step)).BlockFunc(func(g *jen.Group) {
				for i, st := range cl.Steps {
					g.Case(jen.Lit(i)).BlockFunc(func(g *jen.Group) {
						lock := st.Field.Lock
						if lock != nil {
							g.Add(e.lockCall(lock, false, true))
						}
						e.take(g, cl, st)
						if lock != nil {
							g.Add(e.lockCall(lock, false, false))
						}
					})
				}
			}),
		)
	}
	f.Line()
	method("").Id("Drop").Params(x().Op("*").Add(recv())).BlockFunc(func(g *jen.Group) {
		zeros := map[string]string{}
		for _, fld := range cl.Fields {
			if tp, ok := types.Unalias(fld.Type).(*types.TypeParam); ok && fld.Drop && zeros[tp.Obj().Name()] == "" {
				zeros[tp.Obj().Name()] = free(e.taken, "zero"+tp.Obj().Name())
				g.Var().Id(zeros[tp.Obj().Name()]).Id(tp.Obj().Name())
			}
		}
		e.locked(g, cl, true, func(fld *Field) {
			if !fld.Drop {
				return
			}
			zero := jen.Nil()
			if tp, ok := types.Unalias(fld.Type).(*types.TypeParam); ok {
				zero = jen.Id(zeros[tp.Obj().Name()])
			} else if fld.Varies {
				// nil, or a struct's zero value, in whichever configuration.
				zero = jen.Op("*").New(e.w.typ(fld.Type))
			}
			g.Add(x()).Dot(fld.Name).Op("=").Add(zero)
		})
	})
	f.Line()

	var each []*Step
	var eachIndex []int
	for i, st := range cl.Steps {
		if st.Each != nil {
			each, eachIndex = append(each, st), append(eachIndex, i)
		}
	}
	if len(each) == 0 {
		method("").Id("Len").Params(jen.Int()).Int().Block(jen.Return(jen.Lit(0)))
		f.Line()
		method("").Id("Name").Params(jen.Int(), jen.Int()).String().Block(jen.Return(jen.Lit("")))
	} else {
		method(l.r).Id("Len").Params(jen.Id(l.step).Int()).Int().Block(
			jen.Switch(jen.Id(l.step)).BlockFunc(func(g *jen.Group) {
				for i, st := range each {
					n := st.Ref
					switch {
					case st.Each.Map:
						n = st.Each.Keys
					case st.Each.At != "":
						n = st.Each.At
					}
					g.Case(jen.Lit(eachIndex[i])).Block(jen.Return(jen.Len(r().Dot(n))))
				}
			}),
			jen.Return(jen.Lit(0)),
		)
		f.Line()
		method(l.r).Id("Name").Params(jen.List(jen.Id(l.step), jen.Id(l.elem)).Int()).String().Block(
			jen.Switch(jen.Id(l.step)).BlockFunc(func(g *jen.Group) {
				for i, st := range each {
					g.Case(jen.Lit(eachIndex[i])).Block(jen.Return(jen.Lit(st.Field.Name + "[").Op("+").Add(e.keyName(st)).Op("+").Lit("]")))
				}
			}),
			jen.Return(jen.Lit("")),
		)
	}
	f.Line()
	if len(cl.Steps) == 0 {
		method("").Id("Close").Params(jen.Qual(pkgContext, "Context"), jen.Int(), jen.Int(), jen.Bool()).Error().Block(jen.Return(jen.Nil()))
		return
	}
	method(l.r).Id("Close").Params(
		jen.Id(l.ctx).Qual(pkgContext, "Context"), jen.List(jen.Id(l.step), jen.Id(l.elem)).Int(), jen.Id(l.force).Bool(),
	).Error().Block(
		jen.Switch(jen.Id(l.step)).BlockFunc(func(g *jen.Group) {
			for i, st := range cl.Steps {
				g.Case(jen.Lit(i)).Block(e.closeStep(cl, st)...)
			}
		}),
		jen.Return(jen.Nil()),
	)

	// The zero tests of type parameters.
	tps := make([]string, 0, len(cl.zeroMethods))
	for tp := range cl.zeroMethods {
		tps = append(tps, tp)
	}
	sort.Strings(tps)
	for _, tp := range tps {
		f.Line()
		comment(f, strings.TrimSuffix(wrap("", "", fmt.Sprintf("%s reports whether %s is the zero value of %s, nil for a pointer or interface: there is nothing to tear down. A value of a type that cannot be compared is not zero.", cl.zeroMethods[tp], l.e, tp)), "\n"))
		method("").Id(cl.zeroMethods[tp]).Params(jen.Id(l.e).Id(tp)).Bool().Block(
			jen.Defer().Func().Params().Block(jen.Id("_").Op("=").Recover()).Call(),
			jen.Var().Id(l.zero).Id(tp),
			jen.Return(jen.Id("any").Call(jen.Id(l.e)).Op("==").Id("any").Call(jen.Id(l.zero))),
		)
	}
}

// comment adds text to f as // lines.
func comment(f *jen.File, text string) {
	for line := range strings.SplitSeq(text, "\n") {
		f.Comment(line)
	}
}
