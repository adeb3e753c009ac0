package generator

import (
	"fmt"
	"go/types"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
)

// This file writes the parts of a client's generated code that depend on
// its steps: taking, testing, naming and closing each field, and the doc
// comment that lists them.

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
