package generator

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"
	"time"
)

// This file writes the parts of a client's generated code that depend on
// its steps: taking, testing, naming and closing each field, and the doc
// comment that lists them.

// locked calls each for every field of cl in declaration order, the fields
// without a lock first, then those of each lock between its Lock and
// Unlock; read uses RLock for a sync.RWMutex. A write skips the fields
// that are not dropped.
func (e *emitter) locked(cl *Client, write bool, each func(*Field)) {
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
		e.line(e.lockCall(lock, write, true))
		for _, fld := range fields {
			each(fld)
		}
		e.line(e.lockCall(lock, write, false))
	}
}

// lockCall is x.mu.Lock(), or Unlock, RLock and RUnlock: read uses the read
// lock of a sync.RWMutex.
func (e *emitter) lockCall(lock *Lock, write, acquire bool) string {
	name := "Lock"
	if lock.RW && !write {
		name = "RLock"
	}
	if !acquire {
		name = strings.Replace(name, "Lock", "Unlock", 1)
	}
	return e.l.x + "." + lock.Field + "." + name + "()"
}

// refType is the type of a step's refs field.
func (e *emitter) refType(st *Step) string {
	t := e.w.typ(st.Field.Type)
	if st.Each != nil && !(st.Addr && isArray(st.Field.Type)) {
		return t
	}
	if st.Addr {
		return "*" + t
	}
	return t
}

// isArray reports whether the field is an array, which is sliced to be
// used as a collection.
func isArray(t types.Type) bool {
	_, ok := t.Underlying().(*types.Array)
	return ok
}

// take writes the statements of TakeStep that copy a step's field.
//
// A collection is held whole, in its field's own type, and its elements are
// named by index or key: the element type is never spelled, since a
// collection of another package may hold elements of an unexported type
// (Conns []*conn) that this package cannot name.
func (e *emitter) take(cl *Client, st *Step) {
	l := e.l
	src := l.x + "." + st.Field.Name
	ref := l.r + "." + st.Ref
	switch {
	case st.Each == nil && st.Addr:
		e.line(ref, " = &", src)
		return
	case st.Each == nil:
		e.line(ref, " = ", src)
		return
	case st.Each.Map:
		// A copy of the elements that hold a resource, by key: made
		// without the maps package, which the package may not import.
		keys := l.r + "." + st.Each.Keys
		e.line(ref, " = make(", e.w.typ(st.Field.Type), ", len(", src, "))")
		e.open("for ", l.k, ", ", l.e, " := range ", src, " {")
		if st.Skip != SkipNever {
			e.open("if ", e.present(cl, st, l.e), " {")
		}
		e.line(ref, "[", l.k, "] = ", l.e)
		e.line(keys, " = append(", keys, ", ", l.k, ")")
		if st.Skip != SkipNever {
			e.close("}")
		}
		e.close("}")
		return
	case isArray(st.Field.Type) && st.Addr:
		e.line(ref, " = &", src) // used in place
	case isArray(st.Field.Type):
		e.line(ref, " = ", src)
	case st.Addr:
		e.line(ref, " = ", src) // used in place
	default:
		e.line(ref, " = ", e.q(pkgSlices, "Clone"), "(", src, ")")
	}
	if st.Each.At == "" {
		return // every element, by its index
	}
	at := l.r + "." + st.Each.At
	e.open("for ", l.i, ", ", l.e, " := range ", ref, " {")
	e.open("if ", e.present(cl, st, l.e), " {")
	e.line(at, " = append(", at, ", ", l.i, ")")
	e.close("}")
	e.close("}")
}

// present is the condition under which v, a step's field or element,
// holds a resource.
func (e *emitter) present(cl *Client, st *Step, v string) string {
	switch st.Skip {
	case SkipZero:
		t := st.Field.Type
		if st.Each != nil {
			t = st.Each.Elem
		}
		tp := types.Unalias(t).(*types.TypeParam).Obj().Name()
		return "!" + e.l.r + "." + cl.zeroMethods[tp] + "(" + v + ")"
	case SkipVarying:
		return "!" + e.q(RuntimePath, "IsZero") + "(" + v + ")"
	}
	return v + " != nil"
}

// keyName spells the name of element elem of a collection step, inside the brackets.
func (e *emitter) keyName(st *Step) string {
	l := e.l
	if !st.Each.Map {
		index := l.elem
		if st.Each.At != "" {
			index = l.r + "." + st.Each.At + "[" + l.elem + "]"
		}
		return e.q(pkgStrconv, "Itoa") + "(" + index + ")"
	}
	k := l.r + "." + st.Each.Keys + "[" + l.elem + "]"
	// A named key type is converted to its basic type, so that no String
	// method runs.
	basic := func(name string) string {
		if b, ok := types.Unalias(st.Each.Key).(*types.Basic); ok && b.Name() == name {
			return k
		}
		return name + "(" + k + ")"
	}
	bits := strconv.Itoa(st.Each.KeyBits)
	switch st.Each.KeyKind {
	case KeyString:
		return e.q(pkgStrconv, "Quote") + "(" + basic("string") + ")"
	case KeyInt:
		if b, ok := types.Unalias(st.Each.Key).(*types.Basic); ok && b.Kind() == types.Int {
			return e.q(pkgStrconv, "Itoa") + "(" + k + ")"
		}
		return e.q(pkgStrconv, "FormatInt") + "(" + basic("int64") + ", 10)"
	case KeyUint:
		return e.q(pkgStrconv, "FormatUint") + "(" + basic("uint64") + ", 10)"
	case KeyBool:
		return e.q(pkgStrconv, "FormatBool") + "(" + basic("bool") + ")"
	case KeyFloat:
		return e.q(pkgStrconv, "FormatFloat") + "(" + basic("float64") + ", 'g', -1, " + bits + ")"
	case KeyComplex:
		return e.q(pkgStrconv, "FormatComplex") + "(" + basic("complex128") + ", 'g', -1, " + bits + ")"
	}
	return e.q(RuntimePath, "KeyString") + "(" + k + ")"
}

// call writes v.M(ctx): return its error, or call it and go on to the
// switch's return nil; ret forces a return after a call without an error.
// inPlace says v is an element used in place, whose Close may need its
// address.
func (e *emitter) call(v string, m *Call, ret, inPlace bool) {
	c := v + "." + m.Method + "()"
	if m.Ctx {
		c = v + "." + m.Method + "(" + e.l.ctx + ")"
	}
	if m.Dynamic {
		if inPlace {
			v = "&" + v
		}
		c = e.q(RuntimePath, "CallClose") + "(" + e.l.ctx + ", " + v + ")"
	}
	switch {
	case m.Err || m.Dynamic:
		e.line("return ", c)
	case ret:
		e.line(c)
		e.line("return nil")
	default:
		e.line(c)
	}
}

// closeStep writes the body of a step's case in Close.
func (e *emitter) closeStep(cl *Client, st *Step) {
	l := e.l
	v := l.r + "." + st.Ref
	switch {
	case st.Each == nil:
	case st.Each.Map:
		v += "[" + l.r + "." + st.Each.Keys + "[" + l.elem + "]]"
	case st.Each.At != "":
		v += "[" + l.r + "." + st.Each.At + "[" + l.elem + "]]"
	default:
		v += "[" + l.elem + "]"
	}
	test := v // what present and absent test
	if st.Each == nil && st.Skip == SkipVarying {
		// Held by address: (*p).M() calls M whether the type is a pointer
		// or a struct with pointer methods.
		test = "*" + v
		v = "(*" + v + ")"
	}
	inPlace := st.Each != nil && st.Addr
	body := func() {
		switch st.Kind {
		case StepCancel:
			e.line(v, "()")
		case StepWaitGroup:
			e.line(v, ".Wait()")
		case StepWaitChan:
			// WaitClosed gives up at the step's deadline: no goroutine is
			// left behind.
			e.line("return ", e.q(RuntimePath, "WaitClosed"), "(", l.ctx, ", ", v, ")")
		case StepCall, StepEach:
			switch {
			case st.Chan:
				e.line("close(", v, ")")
			case st.Force == nil:
				e.call(v, st.Method, false, inPlace)
			default:
				e.open("if ", l.force, " {")
				e.call(v, st.Force, true, inPlace)
				e.close("}")
				e.call(v, st.Method, false, inPlace)
			}
		}
	}
	// Elements are skipped in Take; fields here. WaitClosed skips a nil
	// channel itself.
	if st.Each != nil || st.Skip == SkipNever || st.Kind == StepWaitChan {
		body()
		return
	}
	oneStatement := st.Kind != StepCall || st.Chan || st.Force == nil
	if oneStatement {
		e.open("if ", e.present(cl, st, test), " {")
		body()
		e.close("}")
		return
	}
	absent := test + " == nil"
	if st.Skip == SkipZero || st.Skip == SkipVarying {
		absent = "!(" + e.present(cl, st, test) + ")"
	}
	e.open("if ", absent, " {")
	e.line("return nil")
	e.close("}")
	body()
}

// stepValue is a step's runtime.Step literal, on one line.
func stepValue(st *Step, e *emitter) string {
	parts := []string{"Name: " + strconv.Quote(st.Field.Name)}
	if st.Phase != 0 {
		parts = append(parts, "Phase: "+strconv.Itoa(st.Phase))
	}
	if st.Timeout > 0 {
		parts = append(parts, "Timeout: "+durationCode(st.Timeout, e))
	}
	if st.Force != nil {
		parts = append(parts, "Force: true")
	}
	if st.Each != nil {
		parts = append(parts, "Each: true")
	}
	if st.Chan {
		parts = append(parts, "NoLateStart: true")
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// durationCode spells d as a constant expression: 5 * time.Second.
func durationCode(d time.Duration, e *emitter) string {
	units := []struct {
		unit time.Duration
		name string
	}{{time.Hour, "Hour"}, {time.Minute, "Minute"}, {time.Second, "Second"}, {time.Millisecond, "Millisecond"}, {time.Microsecond, "Microsecond"}}
	for _, u := range units {
		if d%u.unit == 0 {
			return strconv.FormatInt(int64(d/u.unit), 10) + " * " + e.q(pkgTime, u.name)
		}
	}
	return strconv.FormatInt(int64(d), 10) + " * " + e.q(pkgTime, "Nanosecond")
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
