package generator

import (
	"bytes"
	"fmt"
	"go/format"
	"go/types"
	"sort"
	"strconv"
	"strings"
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
//
// The emitter writes gofmt-clean text directly: formatting 1 MB of output
// was most of a run's time. What go/printer would change is avoided by
// construction (one statement a line, keys and fields aligned as gofmt
// aligns them), and the golden tests check that format.Source leaves every
// output unchanged. The rare type that gofmt might lay out differently (a
// struct or interface literal with members) makes the emitter format its
// output once, as before.

// emitter renders the generated file of one package.
type emitter struct {
	p     *Package
	l     *locals
	taken map[string]bool // names of the package, generated names and locals
	w     *typeWriter

	b      bytes.Buffer
	indent int
}

// emit renders the generated file of p: gofmt-clean and byte-for-byte
// deterministic for the same model.
func emit(p *Package) ([]byte, error) {
	taken := copySet(p.names)
	for _, cl := range p.Clients {
		taken[cl.PlanName], taken[cl.RefsName] = true, true
	}
	e := &emitter{p: p, l: newLocals(taken), taken: taken}
	for _, cl := range p.Clients {
		refsNames(cl)
	}
	// The body names packages by placeholders (see typeWriter.qual),
	// replaced by their import names once all are known.
	w := &typeWriter{local: p.Types, used: map[string]string{}}
	e.w = w
	e.body()
	body := bytes.Clone(e.b.Bytes())
	e.b.Reset()

	// Import names: the real package names, aliased only when one is taken
	// by a name of the package, a type parameter, a local name of the
	// generated code or another import.
	paths := make([]string, 0, len(w.used))
	for path := range w.used {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	aliases := map[string]string{}
	for _, path := range paths {
		name := w.used[path]
		alias := name
		for n := 1; taken[alias]; n++ {
			alias = fmt.Sprintf("%s%d", name, n)
		}
		taken[alias] = true
		aliases[path] = alias
	}

	e.b.WriteString(Header + "\n\npackage " + p.Name + "\n\n")
	var std, other []string
	for _, path := range paths {
		spec := strconv.Quote(path)
		if alias := aliases[path]; alias != w.used[path] || alias != path[strings.LastIndexByte(path, '/')+1:] {
			spec = alias + " " + spec
		}
		if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
			other = append(other, spec)
		} else {
			std = append(std, spec)
		}
	}
	e.b.WriteString("import (\n")
	for _, s := range std {
		e.b.WriteString("\t" + s + "\n")
	}
	if len(std) > 0 && len(other) > 0 {
		e.b.WriteString("\n")
	}
	for _, s := range other {
		e.b.WriteString("\t" + s + "\n")
	}
	e.b.WriteString(")\n\n")
	// The placeholders: NUL, the path, NUL.
	for {
		i := bytes.IndexByte(body, 0)
		if i < 0 {
			break
		}
		j := bytes.IndexByte(body[i+1:], 0) + i + 1
		e.b.Write(body[:i])
		e.b.WriteString(aliases[string(body[i+1:j])])
		body = body[j+1:]
	}
	e.b.Write(body)
	out := e.b.Bytes()
	if w.needsFormat {
		formatted, err := format.Source(out)
		if err != nil {
			return nil, fmt.Errorf("formatting %s: %w", p.Path, err)
		}
		out = formatted
	}
	return out, nil
}

// body writes the declarations of every client.
func (e *emitter) body() {
	for i, cl := range e.p.Clients {
		if i > 0 {
			e.b.WriteString("\n")
		}
		e.client(cl)
	}
}

// line writes one line at the current indentation.
func (e *emitter) line(parts ...string) {
	if len(parts) > 0 {
		for range e.indent {
			e.b.WriteByte('\t')
		}
	}
	for _, s := range parts {
		e.b.WriteString(s)
	}
	e.b.WriteByte('\n')
}

// open writes a line that opens a block and indents the lines after it.
func (e *emitter) open(parts ...string) {
	e.line(parts...)
	e.indent++
}

// close ends a block opened by open with the line s.
func (e *emitter) close(s string) {
	e.indent--
	e.line(s)
}

func (e *emitter) comment(text string) {
	for line := range strings.SplitSeq(text, "\n") {
		if line == "" {
			e.line("//")
		} else {
			e.line("// " + line)
		}
	}
}

// q is the qualified name of name in the package at path.
func (e *emitter) q(path, name string) string {
	return e.w.qual(path, path[strings.LastIndexByte(path, '/')+1:], name)
}

// keyValues writes the key: value lines of a composite literal, aligned as
// gofmt aligns them: the keys of consecutive one-line values in a column.
func (e *emitter) keyValues(kvs [][2]string) {
	for i := 0; i < len(kvs); {
		j := i
		width := 0
		for ; j < len(kvs) && !strings.Contains(kvs[j][1], "\n"); j++ {
			width = max(width, len(kvs[j][0]))
		}
		if j == i { // a value of several lines stands alone
			e.multiline(kvs[i][0]+": ", kvs[i][1]+",")
			i++
			continue
		}
		for ; i < j; i++ {
			e.line(kvs[i][0], ":", strings.Repeat(" ", width-len(kvs[i][0])+1), kvs[i][1], ",")
		}
	}
}

// multiline writes prefix+text, text's later lines indented as the first.
func (e *emitter) multiline(prefix, text string) {
	lines := strings.Split(text, "\n")
	e.line(prefix + lines[0])
	for _, l := range lines[1:] {
		e.line(l)
	}
}

// generic is name[P, Q] for the client's type parameters, or name.
func generic(cl *Client, name string) string {
	if cl.Generic() {
		return name + "[" + strings.Join(cl.TypeParamNames, ", ") + "]"
	}
	return name
}

func (e *emitter) client(cl *Client) {
	l := e.l
	recv := generic(cl, cl.Name)
	refs := generic(cl, cl.RefsName)
	typeName := e.p.Name + "." + cl.Name
	ctxType := e.q(pkgContext, "Context")

	closeName := "CloseContext"
	if cl.Method != "" {
		closeName = cl.Method
	} else {
		e.line(fmt.Sprintf("// Close is CloseContext(context.Background()): it returns within %s.", cl.Timeout))
		e.open("func (", l.x, " *", recv, ") Close() error {")
		e.line("return ", l.x, ".CloseContext(", e.q(pkgContext, "Background"), "())")
		e.close("}")
		e.line()
	}

	e.comment(closeContextDoc(cl, closeName, l.x))
	planType := e.q(RuntimePath, "Plan") + "[" + recv + ", " + refs + "]"
	guardArgs := l.ctx + ", &" + l.x + "." + cl.Guard + ", " + l.x
	var steps strings.Builder
	steps.WriteString("[]" + e.q(RuntimePath, "Step") + "{")
	for _, st := range cl.Steps {
		steps.WriteString("\n\t" + stepValue(st, e) + ",")
	}
	if len(cl.Steps) > 0 {
		steps.WriteString("\n")
	}
	steps.WriteString("}")
	timeout := durationCode(cl.Timeout, e)
	if cl.Generic() {
		// A generic type's plan cannot be a package-level variable: each
		// instantiation's is made once and kept in a sync.Map, keyed by a
		// nil pointer of the instantiated type (no allocation to look it up).
		key := "(*" + recv + ")(nil)"
		fields := fmt.Sprintf("Type: %s, Timeout: %s, Steps: %s", strconv.Quote(typeName), timeout, cl.PlanName)
		if len(cl.Locks) > 0 {
			fields += ", Locked: true"
		}
		e.open("func (", l.x, " *", recv, ") ", closeName, "(", l.ctx, " ", ctxType, ") error {")
		e.line(l.p, ", ", l.ok, " := ", cl.PlansName, ".Load(", key, ")")
		e.open("if !", l.ok, " {")
		e.line(l.p, ", _ = ", cl.PlansName, ".LoadOrStore(", key, ", &", planType, "{", fields, "})")
		e.close("}")
		e.line("return ", l.p, ".(*", planType, ").Close(", guardArgs, ")")
		e.close("}")
		e.line()
		e.line(fmt.Sprintf("// %s are the teardown steps of %s.", cl.PlanName, cl.Name))
		e.multiline("var "+cl.PlanName+" = ", steps.String())
		e.line()
		e.line(fmt.Sprintf("// %s holds the teardown plan of each instantiation of %s.", cl.PlansName, cl.Name))
		e.line("var ", cl.PlansName, " ", e.q(pkgSync, "Map"))
	} else {
		e.open("func (", l.x, " *", recv, ") ", closeName, "(", l.ctx, " ", ctxType, ") error {")
		e.line("return ", cl.PlanName, ".Close(", guardArgs, ")")
		e.close("}")
		e.line()
		e.line(fmt.Sprintf("// %s is the teardown plan of %s.", cl.PlanName, cl.Name))
		e.open("var ", cl.PlanName, " = ", planType, "{")
		kvs := [][2]string{{"Type", strconv.Quote(typeName)}, {"Timeout", timeout}, {"Steps", steps.String()}}
		if len(cl.Locks) > 0 {
			// Locked: Drop takes lock= locks, so the runtime never runs it
			// inside Guard.Leave, whose caller may hold one.
			kvs = append(kvs, [2]string{"Locked", "true"})
		}
		e.keyValues(kvs)
		e.close("}")
	}
	e.line()

	// The refs struct.
	var fields [][2]string
	for _, fld := range cl.Fields {
		st := fld.Step
		if st == nil {
			continue
		}
		fields = append(fields, [2]string{st.Ref, e.refType(st)})
		if st.Each != nil && st.Each.Keys != "" {
			fields = append(fields, [2]string{st.Each.Keys, "[]" + e.w.typ(st.Each.Key)})
		}
		if st.Each != nil && st.Each.At != "" {
			fields = append(fields, [2]string{st.Each.At, "[]int"})
		}
	}
	e.line(fmt.Sprintf("// %s holds the fields of %s that its steps use.", cl.RefsName, cl.Name))
	decl := "type " + cl.RefsName
	if cl.Generic() {
		decl += e.w.typeParams(cl.TypeParams, cl.TypeParamNames, true)
	}
	if len(fields) == 0 {
		e.line(decl, " struct{}")
	} else {
		width := 0
		for _, f := range fields {
			width = max(width, len(f[0]))
		}
		e.open(decl, " struct {")
		for _, f := range fields {
			e.line(f[0], strings.Repeat(" ", width-len(f[0])+1), f[1])
		}
		e.close("}")
	}
	e.line()

	// The compile-time guard.
	e.line(fmt.Sprintf("// If this does not compile, run cleanupgen again: a field of %s that it manages was", cl.Name))
	e.line("// renamed, removed or retyped.")
	guard := "func _"
	if cl.Generic() {
		guard += e.w.typeParams(cl.TypeParams, cl.TypeParamNames, false)
	}
	e.open(guard, "(", l.x, " *", recv, ") {")
	e.line("var _ ", e.q(RuntimePath, "Refs"), "[", recv, "] = (*", refs, ")(nil)")
	e.line("var _ ", e.q(RuntimePath, "StepTaker"), "[", recv, "] = (*", refs, ")(nil)")
	for _, fld := range cl.Fields {
		e.line("var _ *", e.w.typ(fld.Type), " = &", l.x, ".", fld.Name)
	}
	e.close("}")
	e.line()

	// The methods.
	method := func(recvName, rest string) {
		if recvName != "" {
			recvName += " "
		}
		e.open("func (", recvName, "*", refs, ") ", rest)
	}
	if len(cl.Steps) == 0 {
		e.line("func (*", refs, ") Take(*", recv, ") {}")
		e.line()
		e.line("func (*", refs, ") TakeStep(*", recv, ", int) {}")
	} else {
		method(l.r, "Take("+l.x+" *"+recv+") {")
		e.open("for ", l.step, " := range ", strconv.Itoa(len(cl.Steps)), " {")
		e.line(l.r, ".TakeStep(", l.x, ", ", l.step, ")")
		e.close("}")
		e.close("}")
		e.line()
		method(l.r, "TakeStep("+l.x+" *"+recv+", "+l.step+" int) {")
		e.line("switch ", l.step, " {")
		for i, st := range cl.Steps {
			e.line("case ", strconv.Itoa(i), ":")
			e.indent++
			lock := st.Field.Lock
			if lock != nil {
				e.line(e.lockCall(lock, false, true))
			}
			e.take(cl, st)
			if lock != nil {
				e.line(e.lockCall(lock, false, false))
			}
			e.indent--
		}
		e.line("}")
		e.close("}")
	}
	e.line()

	// Drop.
	start := e.b.Len()
	method("", "Drop("+l.x+" *"+recv+") {")
	bodyStart := e.b.Len()
	zeros := map[string]string{}
	for _, fld := range cl.Fields {
		if tp, ok := types.Unalias(fld.Type).(*types.TypeParam); ok && fld.Drop && zeros[tp.Obj().Name()] == "" {
			zeros[tp.Obj().Name()] = free(e.taken, "zero"+tp.Obj().Name())
			e.line("var ", zeros[tp.Obj().Name()], " ", tp.Obj().Name())
		}
	}
	e.locked(cl, true, func(fld *Field) {
		if !fld.Drop {
			return
		}
		zero := "nil"
		if tp, ok := types.Unalias(fld.Type).(*types.TypeParam); ok {
			zero = zeros[tp.Obj().Name()]
		} else if fld.Varies {
			// nil, or a struct's zero value, in whichever configuration.
			zero = "*new(" + e.w.typ(fld.Type) + ")"
		}
		e.line(l.x, ".", fld.Name, " = ", zero)
	})
	if e.b.Len() == bodyStart { // func (*R) Drop(x *T) {}
		e.b.Truncate(start)
		e.indent--
		e.line("func (*", refs, ") Drop(", l.x, " *", recv, ") {}")
	} else {
		e.close("}")
	}
	e.line()

	var each []*Step
	var eachIndex []int
	for i, st := range cl.Steps {
		if st.Each != nil {
			each, eachIndex = append(each, st), append(eachIndex, i)
		}
	}
	if len(each) == 0 {
		method("", "Len(int) int {")
		e.line("return 0")
		e.close("}")
		e.line()
		method("", "Name(int, int) string {")
		e.line(`return ""`)
		e.close("}")
	} else {
		method(l.r, "Len("+l.step+" int) int {")
		e.line("switch ", l.step, " {")
		for i, st := range each {
			n := st.Ref
			switch {
			case st.Each.Map:
				n = st.Each.Keys
			case st.Each.At != "":
				n = st.Each.At
			}
			e.line("case ", strconv.Itoa(eachIndex[i]), ":")
			e.line("\treturn len(", l.r, ".", n, ")")
		}
		e.line("}")
		e.line("return 0")
		e.close("}")
		e.line()
		method(l.r, "Name("+l.step+", "+l.elem+" int) string {")
		e.line("switch ", l.step, " {")
		for i, st := range each {
			e.line("case ", strconv.Itoa(eachIndex[i]), ":")
			e.line("\treturn ", strconv.Quote(st.Field.Name+"["), " + ", e.keyName(st), ` + "]"`)
		}
		e.line("}")
		e.line(`return ""`)
		e.close("}")
	}
	e.line()
	if len(cl.Steps) == 0 {
		method("", "Close("+ctxType+", int, int, bool) error {")
		e.line("return nil")
		e.close("}")
		return
	}
	method(l.r, "Close("+l.ctx+" "+ctxType+", "+l.step+", "+l.elem+" int, "+l.force+" bool) error {")
	e.line("switch ", l.step, " {")
	for i, st := range cl.Steps {
		e.line("case ", strconv.Itoa(i), ":")
		e.indent++
		e.closeStep(cl, st)
		e.indent--
	}
	e.line("}")
	e.line("return nil")
	e.close("}")

	// The zero tests of type parameters.
	tps := make([]string, 0, len(cl.zeroMethods))
	for tp := range cl.zeroMethods {
		tps = append(tps, tp)
	}
	sort.Strings(tps)
	for _, tp := range tps {
		e.line()
		e.comment(strings.TrimSuffix(wrap("", "", fmt.Sprintf("%s reports whether %s is the zero value of %s, nil for a pointer or interface: there is nothing to tear down. A value of a type that cannot be compared is not zero.", cl.zeroMethods[tp], l.e, tp)), "\n"))
		method("", cl.zeroMethods[tp]+"("+l.e+" "+tp+") bool {")
		e.open("defer func() {")
		e.line("_ = recover()")
		e.close("}()")
		e.line("var ", l.zero, " ", tp)
		e.line("return any(", l.e, ") == any(", l.zero, ")")
		e.close("}")
	}
}
