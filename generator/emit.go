package generator

import (
	"bytes"
	"fmt"
	"go/types"
	"sort"
	"strings"
	"time"

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

// locked calls each for every field of cl in declaration order, the fields
// without a lock first, then those of each lock between its Lock and
// Unlock; read uses RLock for a sync.RWMutex. A write skips the fields
// that are not dropped.
func (e *emitter) locked(g *jen.Group, cl *Client, write bool, each func(*Field)) {
	for _, fld := range cl.Fields {
		if fld.Lock == nil {
			each(fld)
		}
	}
	for _, lock := range cl.Locks {
		var fields []*Field
		for _, fld := range cl.Fields {
			if fld.Lock == lock && (!write || fld.Drop) {
				fields = append(fields, fld)
			}
		}
		if len(fields) == 0 {
			continue // drop=false: nothing to write under it
		}
		g.Add(e.lockCall(lock, write, true))
		for _, fld := range fields {
			each(fld)
		}
		g.Add(e.lockCall(lock, write, false))
	}
}

// lockCall is x.mu.Lock(), or Unlock, RLock and RUnlock: read uses the read
// lock of a sync.RWMutex.
func (e *emitter) lockCall(lock *Lock, write, acquire bool) *jen.Statement {
	name := "Lock"
	if lock.RW && !write {
		name = "RLock"
	}
	if !acquire {
		name = strings.Replace(name, "Lock", "Unlock", 1)
	}
	return jen.Id(e.l.x).Dot(lock.Field).Dot(name).Call()
}

// refType is the type of a step's refs field.
func (e *emitter) refType(st *Step) *jen.Statement {
	t := e.w.typ(st.Field.Type)
	if st.Each != nil && !(st.Addr && isArray(st.Field.Type)) {
		return t
	}
	if st.Addr {
		return jen.Op("*").Add(t)
	}
	return t
}

// isArray reports whether the field is an array, which is sliced to be
// used as a collection.
func isArray(t types.Type) bool {
	_, ok := t.Underlying().(*types.Array)
	return ok
}

// take adds the statements of Take that copy a step's field.
//
// A collection is held whole, in its field's own type, and its elements are
// named by index or key: the element type is never spelled, since a
// collection of another package may hold elements of an unexported type
// (Conns []*conn) that this package cannot name.
func (e *emitter) take(g *jen.Group, cl *Client, st *Step) {
	l := e.l
	src := func() *jen.Statement { return jen.Id(l.x).Dot(st.Field.Name) }
	ref := func() *jen.Statement { return jen.Id(l.r).Dot(st.Ref) }
	switch {
	case st.Each == nil && st.Addr:
		g.Add(ref()).Op("=").Op("&").Add(src())
		return
	case st.Each == nil:
		g.Add(ref()).Op("=").Add(src())
		return
	case st.Each.Map:
		// A copy of the elements that hold a resource, by key: made
		// without the maps package, which the package may not import.
		set := []jen.Code{
			ref().Index(jen.Id(l.k)).Op("=").Id(l.e),
			jen.Id(l.r).Dot(st.Each.Keys).Op("=").Append(jen.Id(l.r).Dot(st.Each.Keys), jen.Id(l.k)),
		}
		if st.Skip != SkipNever {
			set = []jen.Code{jen.If(e.present(cl, st, jen.Id(l.e))).Block(set...)}
		}
		g.Add(ref()).Op("=").Make(e.w.typ(st.Field.Type), jen.Len(src()))
		g.For(jen.List(jen.Id(l.k), jen.Id(l.e)).Op(":=").Range().Add(src())).Block(set...)
		return
	case isArray(st.Field.Type) && st.Addr:
		g.Add(ref()).Op("=").Op("&").Add(src()) // used in place
	case isArray(st.Field.Type):
		g.Add(ref()).Op("=").Add(src())
	case st.Addr:
		g.Add(ref()).Op("=").Add(src()) // used in place
	default:
		g.Add(ref()).Op("=").Qual(pkgSlices, "Clone").Call(src())
	}
	index, k := st.Each.At, l.i
	if index == "" {
		return // every element, by its index
	}
	add := jen.Id(l.r).Dot(index).Op("=").Append(jen.Id(l.r).Dot(index), jen.Id(k))
	g.For(jen.List(jen.Id(k), jen.Id(l.e)).Op(":=").Range().Add(ref())).Block(
		jen.If(e.present(cl, st, jen.Id(l.e))).Block(add),
	)
}

// present is the condition under which v, a step's field or element,
// holds a resource.
func (e *emitter) present(cl *Client, st *Step, v *jen.Statement) *jen.Statement {
	if st.Skip == SkipZero {
		t := st.Field.Type
		if st.Each != nil {
			t = st.Each.Elem
		}
		tp := types.Unalias(t).(*types.TypeParam).Obj().Name()
		return jen.Op("!").Id(e.l.r).Dot(cl.zeroMethods[tp]).Call(v)
	}
	if st.Skip == SkipVarying {
		return jen.Op("!").Qual(RuntimePath, "IsZero").Call(v)
	}
	return v.Op("!=").Nil()
}

// keyName spells the name of element elem of a collection step, inside the brackets.
func (e *emitter) keyName(st *Step) *jen.Statement {
	l := e.l
	if !st.Each.Map {
		index := jen.Id(l.elem)
		if st.Each.At != "" {
			index = jen.Id(l.r).Dot(st.Each.At).Index(jen.Id(l.elem))
		}
		return jen.Qual(pkgStrconv, "Itoa").Call(index)
	}
	k := jen.Id(l.r).Dot(st.Each.Keys).Index(jen.Id(l.elem))
	// A named key type is converted to its basic type, so that no String
	// method runs.
	basic := func(name string) *jen.Statement {
		if b, ok := types.Unalias(st.Each.Key).(*types.Basic); ok && b.Name() == name {
			return k
		}
		return jen.Id(name).Call(k)
	}
	switch st.Each.KeyKind {
	case KeyString:
		return jen.Qual(pkgStrconv, "Quote").Call(basic("string"))
	case KeyInt:
		if b, ok := types.Unalias(st.Each.Key).(*types.Basic); ok && b.Kind() == types.Int {
			return jen.Qual(pkgStrconv, "Itoa").Call(k)
		}
		return jen.Qual(pkgStrconv, "FormatInt").Call(basic("int64"), jen.Lit(10))
	case KeyUint:
		return jen.Qual(pkgStrconv, "FormatUint").Call(basic("uint64"), jen.Lit(10))
	case KeyBool:
		return jen.Qual(pkgStrconv, "FormatBool").Call(basic("bool"))
	case KeyFloat:
		return jen.Qual(pkgStrconv, "FormatFloat").Call(basic("float64"), jen.LitRune('g'), jen.Lit(-1), jen.Lit(st.Each.KeyBits))
	case KeyComplex:
		return jen.Qual(pkgStrconv, "FormatComplex").Call(basic("complex128"), jen.LitRune('g'), jen.Lit(-1), jen.Lit(st.Each.KeyBits))
	}
	return jen.Qual(RuntimePath, "KeyString").Call(k)
}

// call is v.M(ctx) as statements: return its error, or call it and go on
// to the switch's return nil; ret forces a return after a call without an
// error. inPlace says v is an element used in place, whose Close may need
// its address.
func (e *emitter) call(v *jen.Statement, m *Call, ret, inPlace bool) []jen.Code {
	var args []jen.Code
	if m.Ctx {
		args = append(args, jen.Id(e.l.ctx))
	}
	c := v.Clone().Dot(m.Method).Call(args...)
	if m.Dynamic {
		if inPlace {
			v = jen.Op("&").Add(v)
		}
		c = jen.Qual(RuntimePath, "CallClose").Call(jen.Id(e.l.ctx), v)
	}
	switch {
	case m.Err:
		return []jen.Code{jen.Return(c)}
	case ret:
		return []jen.Code{c, jen.Return(jen.Nil())}
	}
	return []jen.Code{c}
}

// closeStep is the body of a step's case in Close.
func (e *emitter) closeStep(cl *Client, st *Step) []jen.Code {
	l := e.l
	// test is what present and absent test; v is what is called.
	test := func() *jen.Statement {
		s := jen.Id(l.r).Dot(st.Ref)
		switch {
		case st.Each == nil:
		case st.Each.Map:
			s.Index(jen.Id(l.r).Dot(st.Each.Keys).Index(jen.Id(l.elem)))
		case st.Each.At != "":
			s.Index(jen.Id(l.r).Dot(st.Each.At).Index(jen.Id(l.elem)))
		default:
			s.Index(jen.Id(l.elem))
		}
		if st.Each == nil && st.Skip == SkipVarying {
			s = jen.Op("*").Add(s)
		}
		return s
	}
	v := test
	if st.Each == nil && st.Skip == SkipVarying {
		// Held by address: (*p).M() calls M whether the type is a pointer
		// or a struct with pointer methods.
		v = func() *jen.Statement { return jen.Parens(test()) }
	}
	inPlace := st.Each != nil && st.Addr
	var body []jen.Code
	switch st.Kind {
	case StepCancel:
		body = []jen.Code{v().Call()}
	case StepWaitGroup:
		body = []jen.Code{v().Dot("Wait").Call()}
	case StepWaitChan:
		// WaitClosed gives up at the step's deadline: no goroutine is left
		// behind.
		body = []jen.Code{jen.Return(jen.Qual(RuntimePath, "WaitClosed").Call(jen.Id(l.ctx), v()))}
	case StepCall, StepEach:
		if st.Chan {
			body = []jen.Code{jen.Close(v())}
			break
		}
		if st.Force == nil {
			body = e.call(v(), st.Method, false, inPlace)
		} else {
			body = append([]jen.Code{jen.If(jen.Id(l.force)).Block(e.call(v(), st.Force, true, inPlace)...)}, e.call(v(), st.Method, false, inPlace)...)
		}
	}
	// Elements are skipped in Take; fields here. WaitClosed skips a nil
	// channel itself.
	if st.Each != nil || st.Skip == SkipNever || st.Kind == StepWaitChan {
		return body
	}
	if len(body) == 1 {
		return []jen.Code{jen.If(e.present(cl, st, test())).Block(body...)}
	}
	absent := test().Op("==").Nil()
	if st.Skip == SkipZero || st.Skip == SkipVarying {
		absent = e.present(cl, st, test())
		absent = jen.Op("!").Parens(absent)
	}
	return append([]jen.Code{jen.If(absent).Block(jen.Return(jen.Nil()))}, body...)
}

// stepValue is a step's runtime.Step literal, on one line.
func stepValue(st *Step) *jen.Statement {
	return jen.ValuesFunc(func(g *jen.Group) {
		g.Id("Name").Op(":").Lit(st.Field.Name)
		if st.Phase != 0 {
			g.Id("Phase").Op(":").Lit(st.Phase)
		}
		if st.Timeout > 0 {
			g.Id("Timeout").Op(":").Add(durationCode(st.Timeout))
		}
		if st.Force != nil {
			g.Id("Force").Op(":").True()
		}
		if st.Each != nil {
			g.Id("Each").Op(":").True()
		}
		if st.Chan {
			g.Id("NoLateStart").Op(":").True()
		}
	})
}

// comment adds text to f as // lines.
func comment(f *jen.File, text string) {
	for line := range strings.SplitSeq(text, "\n") {
		f.Comment(line)
	}
}

// durationCode spells d as a constant expression: 5 * time.Second.
func durationCode(d time.Duration) *jen.Statement {
	units := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.unit == 0 {
			return jen.Lit(int(d/u.unit)).Op("*").Qual(pkgTime, u.name)
		}
	}
	return jen.Lit(int(d)).Op("*").Qual(pkgTime, "Nanosecond")
}

// closeContextDoc is the doc comment of the generated CloseContext: what is
// specific to the client. The contract is runtime.Plan.Close's.
func closeContextDoc(cl *Client, name, x string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s tears %s down by the earlier of ctx's deadline and %s from now", name, x, cl.Timeout)
	if len(cl.Steps) == 0 {
		b.WriteString("; it has no steps.\n")
	} else {
		b.WriteString(", in phases:\n\n")
		for i := 0; i < len(cl.Steps); {
			j := i
			var names []string
			for ; j < len(cl.Steps) && cl.Steps[j].Phase == cl.Steps[i].Phase; j++ {
				names = append(names, stepDoc(cl.Steps[j]))
			}
			fmt.Fprintf(&b, "  - %d: %s\n", cl.Steps[i].Phase, strings.Join(names, ", "))
			i = j
		}
		b.WriteString("\n")
	}
	var drop []string
	for _, f := range cl.Fields {
		if f.Drop {
			drop = append(drop, f.Name)
		}
	}
	switch len(drop) {
	case 0:
		b.WriteString("See runtime.Plan.Close for the contract.\n")
	case 1:
		b.WriteString(wrap("", "", "It then sets "+drop[0]+" to its zero value. See runtime.Plan.Close for the contract."))
	default:
		b.WriteString(wrap("", "", "It then sets "+joinNames(drop)+" to their zero values. See runtime.Plan.Close for the contract."))
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// stepDoc is a step in the doc comment: its name and what is not the
// default about it.
func stepDoc(st *Step) string {
	var notes []string
	if st.Method != nil && st.Method.Method != "Close" {
		notes = append(notes, st.Method.Method)
	}
	if st.Force != nil {
		notes = append(notes, "force "+st.Force.Method)
	}
	if st.Timeout > 0 {
		notes = append(notes, st.Timeout.String())
	}
	if st.Field.Lock != nil {
		notes = append(notes, "under "+st.Field.Lock.Field)
	}
	name := st.Field.Name
	if st.Each != nil {
		name += "[...]"
	}
	if len(notes) == 0 {
		return name
	}
	return name + " (" + strings.Join(notes, ", ") + ")"
}

// wrap breaks text into lines of at most about 92 columns, the first
// starting with first and the others with rest.
func wrap(first, rest, text string) string {
	var b strings.Builder
	b.Grow(len(text) + len(text)/64*(len(rest)+1) + len(first) + 1)
	b.WriteString(first)
	width, empty := len(first), true
	for word := range strings.FieldsSeq(text) {
		if !empty && width+1+len(word) > 92 {
			b.WriteString("\n")
			b.WriteString(rest)
			width, empty = len(rest), true
		}
		if !empty {
			b.WriteByte(' ')
			width++
		}
		b.WriteString(word)
		width += len(word)
		empty = false
	}
	b.WriteString("\n")
	return b.String()
}
