package generator

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"
)

const (
	pkgContext = "context"
	pkgTime    = "time"
	pkgStrconv = "strconv"
	pkgFmt     = "fmt"
)

// emit renders the generated file of p: gofmt-clean and byte-for-byte
// deterministic for the same model.
func emit(p *Package) ([]byte, error) {
	f := jen.NewFilePathName(p.Path, p.Name)
	f.NoFormat = true // formatted once, below
	f.HeaderComment(Header)
	w := &typeWriter{local: p.Types, imports: map[string]string{}}
	w.imports[pkgContext] = "context"
	w.imports[RuntimePath] = "runtime"
	w.imports[pkgTime] = "time"
	w.imports[pkgStrconv] = "strconv"
	w.imports[pkgFmt] = "fmt"
	for i, cl := range p.Clients {
		if i > 0 {
			f.Line()
		}
		emitClient(f, w, p, cl)
	}
	// Import names: the real package names, aliased only when one is taken
	// by a declaration of the package itself or by another import.
	paths := make([]string, 0, len(w.imports))
	for path := range w.imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	used := map[string]bool{}
	for _, path := range paths {
		name := w.imports[path]
		alias := name
		for n := 1; (p.Types != nil && p.Types.Scope().Lookup(alias) != nil) || used[alias]; n++ {
			alias = fmt.Sprintf("%s%d", name, n)
		}
		used[alias] = true
		if alias == name {
			f.ImportName(path, name)
		} else {
			f.ImportAlias(path, alias)
		}
	}
	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", p.Path, err)
	}
	out, err := format.Source(groupImports(buf.Bytes()))
	if err != nil {
		return nil, fmt.Errorf("formatting %s: %w", p.Path, err)
	}
	return out, nil
}

// groupImports puts the standard library imports of jennifer's single
// import block first and the others after a blank line, as goimports does.
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

// recv is the receiver type T or T[E, K].
func recvType(cl *Client) *jen.Statement {
	s := jen.Id(cl.Name)
	if cl.Generic() {
		s.Types(typeArgNames(cl.TypeParams)...)
	}
	return s
}

func refsType(cl *Client) *jen.Statement {
	s := jen.Id(cl.RefsName)
	if cl.Generic() {
		s.Types(typeArgNames(cl.TypeParams)...)
	}
	return s
}

func emitClient(f *jen.File, w *typeWriter, p *Package, cl *Client) {
	typeName := p.Name + "." + cl.Name
	teardownType := jen.Qual(RuntimePath, "Teardown").Types(recvType(cl), refsType(cl))

	// Close.
	comment(f, closeDoc(cl))
	f.Func().Params(jen.Id("x").Op("*").Add(recvType(cl))).Id("Close").Params().Error().Block(
		jen.Return(jen.Id("x").Dot("CloseContext").Call(jen.Qual(pkgContext, "Background").Call())),
	)
	f.Line()

	// CloseContext.
	plan := jen.Id(cl.PlanName)
	if cl.Generic() {
		plan = jen.Id(cl.PlanName).Types(typeArgNames(cl.TypeParams)...).Call()
	}
	comment(f, closeContextDoc(cl))
	f.Func().Params(jen.Id("x").Op("*").Add(recvType(cl))).Id("CloseContext").Params(jen.Id("ctx").Qual(pkgContext, "Context")).Error().Block(
		jen.Return(plan.Dot("Close").Call(jen.Id("ctx"), jen.Op("&").Id("x").Dot(cl.Guard), jen.Id("x"))),
	)
	f.Line()

	// The refs struct.
	refFields := make([]jen.Code, len(cl.Refs))
	for i, r := range cl.Refs {
		t := w.typ(r.Type)
		if r.Addr {
			t = jen.Op("*").Add(t)
		}
		refFields[i] = jen.Id(r.Field).Add(t)
	}
	comment(f, fmt.Sprintf("%s holds what the teardown of %s uses: copies of its managed fields, taken\n"+
		"once the door has closed, so that dropping the fields does not disturb a running step, and\n"+
		"the addresses of fields that must not be copied.", cl.RefsName, cl.Name))
	decl := f.Type().Id(cl.RefsName)
	if cl.Generic() {
		decl.Types(w.typeParams(cl.TypeParams)...)
	}
	decl.Struct(refFields...)
	f.Line()

	// The compile-time guard.
	comment(f, fmt.Sprintf("If this does not compile, a field of %s that cleanupgen manages was renamed, removed or\n"+
		"retyped since the file was generated: run cleanupgen again.", cl.Name))
	var checks []jen.Code
	for _, fld := range cl.Fields {
		checks = append(checks, jen.Var().Id("_").Op("*").Add(w.typ(fld.Type)).Op("=").Op("&").Id("x").Dot(fld.Field))
	}
	guard := f.Func().Id("_")
	if cl.Generic() {
		guard.Types(w.typeParams(cl.TypeParams)...)
	}
	guard.Params(jen.Id("x").Op("*").Add(recvType(cl))).Block(checks...)
	f.Line()

	// The plan.
	lit := teardownLiteral(w, typeName, cl, teardownType)
	if cl.Generic() {
		comment(f, fmt.Sprintf("%s returns the teardown plan of %s: a generic type's plan cannot be a\n"+
			"package-level variable.", cl.PlanName, cl.Name))
		f.Func().Id(cl.PlanName).Types(w.typeParams(cl.TypeParams)...).Params().Op("*").Add(teardownType).Block(
			jen.Return(jen.Op("&").Add(lit)),
		)
		return
	}
	f.Commentf("%s is the teardown plan of %s.", cl.PlanName, cl.Name)
	f.Var().Id(cl.PlanName).Add(teardownType)
	f.Line()
	comment(f, "init, not a variable initializer: the steps call the fields' methods, which may lead back to\n"+
		cl.Name+".Close (a tree of clients) and would make an initialization cycle.")
	f.Func().Id("init").Params().Block(
		jen.Id(cl.PlanName).Op("=").Add(lit),
	)
}

func teardownLiteral(w *typeWriter, typeName string, cl *Client, teardownType *jen.Statement) *jen.Statement {
	x := jen.Id("x")
	// Refs.
	var refsValues []kv
	for _, r := range cl.Refs {
		v := jen.Id("x").Dot(r.Field)
		if r.Addr {
			v = jen.Op("&").Add(v)
		}
		refsValues = append(refsValues, kv{r.Field, v})
	}
	refs := jen.Func().Params(x.Clone().Op("*").Add(recvType(cl))).Add(refsType(cl)).Block(
		jen.Return(keyed(refsType(cl), refsValues...)),
	)
	// Drop.
	var drops []jen.Code
	for _, name := range cl.Drop {
		zero := jen.Nil()
		if tp, ok := cl.DropTypeParam[name]; ok {
			zero = jen.Op("*").New(jen.Id(tp))
		}
		drops = append(drops, jen.Id("x").Dot(name).Op("=").Add(zero))
	}
	drop := jen.Func().Params(jen.Id("x").Op("*").Add(recvType(cl))).Block(drops...)

	// Steps.
	var steps []jen.Code
	for _, st := range cl.Steps {
		steps = append(steps, stepLiteral(cl, st))
	}
	return keyed(teardownType.Clone(),
		kv{"Type", jen.Lit(typeName)},
		kv{"Timeout", durationCode(cl.Timeout)},
		kv{"Refs", refs},
		kv{"Drop", drop},
		kv{"Steps", jen.Index().Qual(RuntimePath, "TeardownStep").Types(refsType(cl)).ValuesFunc(func(g *jen.Group) {
			for _, s := range steps {
				g.Line().Add(s)
			}
			if len(steps) > 0 {
				g.Line()
			}
		})},
	)
}

// kv is one key: value of a composite literal.
type kv struct {
	key   string
	value jen.Code
}

// keyed renders {key: value, ...} one per line, in the given order.
func keyed(typ *jen.Statement, kvs ...kv) *jen.Statement {
	return typ.ValuesFunc(func(g *jen.Group) {
		for _, e := range kvs {
			g.Line().Id(e.key).Op(":").Add(e.value)
		}
		if len(kvs) > 0 {
			g.Line()
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

// callCode calls m on recv, returning its error or nil.
func callCode(recv *jen.Statement, m *Call) []jen.Code {
	var args []jen.Code
	if m.Ctx {
		args = append(args, jen.Id("ctx"))
	}
	call := recv.Dot(m.Method).Call(args...)
	if m.Err {
		return []jen.Code{jen.Return(call)}
	}
	return []jen.Code{call, jen.Return(jen.Nil())}
}

var (
	ctxParam  = func() *jen.Statement { return jen.Id("ctx").Qual(pkgContext, "Context") }
	errResult = func() *jen.Statement { return jen.Error() }
)

// stepFunc is func(ctx context.Context, r *R) error { body }.
func stepFunc(cl *Client, usesCtx bool, body []jen.Code) *jen.Statement {
	ctx := ctxParam()
	if !usesCtx {
		ctx = jen.Id("_").Qual(pkgContext, "Context")
	}
	return jen.Func().Params(ctx, jen.Id("r").Op("*").Add(refsType(cl))).Add(errResult()).Block(body...)
}

func stepLiteral(cl *Client, st *Step) *jen.Statement {
	r := func() *jen.Statement { return jen.Id("r").Dot(st.Name) }
	var nilCheck []jen.Code
	if st.Nilable {
		nilCheck = []jen.Code{jen.If(r().Op("==").Nil()).Block(jen.Return(jen.Nil()))}
	}
	d := []kv{{"Name", jen.Lit(st.Name)}, {"Phase", jen.Lit(st.Phase)}}
	if st.Timeout > 0 {
		d = append(d, kv{"Timeout", durationCode(st.Timeout)})
	}
	switch {
	case st.Cancel:
		d = append(d, kv{"Close", stepFunc(cl, false, append(nilCheck, r().Call(), jen.Return(jen.Nil())))})
	case st.Wait == WaitGroup:
		d = append(d, kv{"Close", stepFunc(cl, false, append(nilCheck, r().Dot("Wait").Call(), jen.Return(jen.Nil())))})
	case st.Wait == WaitChanClosed:
		// Wait for the close but give up at the step's deadline: receiving
		// needs no goroutine to be abandoned. Values received are discarded.
		d = append(d, kv{"Close", stepFunc(cl, true, append(nilCheck,
			jen.For().Block(
				jen.Select().Block(
					jen.Case(jen.List(jen.Id("_"), jen.Id("ok")).Op(":=").Op("<-").Add(r())).Block(
						jen.If(jen.Op("!").Id("ok")).Block(jen.Return(jen.Nil())),
					),
					jen.Case(jen.Op("<-").Id("ctx").Dot("Done").Call()).Block(
						jen.Return(jen.Qual(pkgContext, "Cause").Call(jen.Id("ctx"))),
					),
				),
			),
		))})
	case st.Call != nil:
		d = append(d, kv{"Close", stepFunc(cl, st.Call.Ctx, append(nilCheck, callCode(r(), st.Call)...))})
		if st.Force != nil {
			d = append(d, kv{"Force", stepFunc(cl, st.Force.Ctx, append(nilCheck, callCode(r(), st.Force)...))})
		}
	case st.Each != nil:
		d = append(d, kv{"Each", eachFunc(cl, st)})
	}
	return keyed(jen.Null(), d...)
}

// eachFunc adds one step per element of a slice, array or map.
func eachFunc(cl *Client, st *Step) *jen.Statement {
	e := st.Each
	elemFunc := func(m *Call) *jen.Statement {
		ctx := ctxParam()
		if !m.Ctx {
			ctx = jen.Qual(pkgContext, "Context")
		}
		return jen.Func().Params(ctx).Error().Block(callCode(jen.Id("e"), m)...)
	}
	force := jen.Nil()
	if st.Force != nil {
		force = elemFunc(st.Force)
	}
	var loop *jen.Statement
	var name *jen.Statement
	var body []jen.Code
	if e.Kind == EachMap {
		loop = jen.For(jen.List(jen.Id("k"), jen.Id("e")).Op(":=").Range().Id("r").Dot(st.Name))
		if e.StringKey {
			key := jen.Id("k")
			if !e.PlainString {
				key = jen.String().Parens(key)
			}
			name = jen.Qual(pkgStrconv, "Quote").Call(key)
		} else {
			name = jen.Qual(pkgFmt, "Sprint").Call(jen.Id("k"))
		}
	} else {
		loop = jen.For(jen.Id("i").Op(":=").Range().Id("r").Dot(st.Name))
		name = jen.Qual(pkgStrconv, "Itoa").Call(jen.Id("i"))
		elem := jen.Id("r").Dot(st.Name).Index(jen.Id("i"))
		if e.Addr {
			elem = jen.Op("&").Add(elem)
		}
		body = append(body, jen.Id("e").Op(":=").Add(elem))
	}
	if e.Nilable {
		body = append(body, jen.If(jen.Id("e").Op("==").Nil()).Block(jen.Continue()))
	}
	body = append(body, jen.Id("add").Call(
		jen.Lit(st.Name+"[").Op("+").Add(name).Op("+").Lit("]"),
		elemFunc(&e.Close),
		force,
	))
	return jen.Func().Params(
		jen.Id("r").Op("*").Add(refsType(cl)),
		jen.Id("add").Func().Params(jen.String(), jen.Func().Params(jen.Qual(pkgContext, "Context")).Error(), jen.Func().Params(jen.Qual(pkgContext, "Context")).Error()),
	).Block(loop.Block(body...))
}

// closeDoc is the doc comment of the generated Close.
func closeDoc(cl *Client) string {
	return fmt.Sprintf("Close tears down x as CloseContext(context.Background()) does: it returns within %s,\n"+
		"whatever x's resources do, with nil or a *runtime.CleanupError. It makes %s an io.Closer.", cl.Timeout, cl.Name)
}

// closeContextDoc states what the generated CloseContext does, in order.
func closeContextDoc(cl *Client) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CloseContext tears down x and returns no later than the earlier of ctx's deadline and\n")
	fmt.Fprintf(&b, "%s from now, whatever x's resources do. In order:\n\n", cl.Timeout)
	fmt.Fprintf(&b, "  1. It closes the door: from the first call on, x.%s.Enter returns runtime.ErrClosed.\n", cl.Guard)
	b.WriteString("     Calls already inside (between Enter and Leave) are waited for, for up to half the\n")
	b.WriteString("     time to the deadline.\n")
	b.WriteString("  2. It runs the steps listed below, phase after phase. The steps of one phase run\n")
	b.WriteString("     concurrently; a phase starts when the one before has ended or its budget has run\n")
	b.WriteString("     out. A step still running at the deadline is abandoned: it keeps running, is listed\n")
	b.WriteString("     by runtime.Abandoned until it returns, and is named in the error. Steps not started\n")
	b.WriteString("     by then are started with an expired context and are not waited for. CloseContext\n")
	b.WriteString("     returns at most runtime.Grace after the deadline.\n")
	if len(cl.Drop) > 0 {
		b.WriteString(wrap("  3. ", "     ", "It drops its references, even when a step hangs: it sets "+strings.Join(cl.Drop, ", ")+
			" to their zero values, once no call holds the guard."))
	} else {
		b.WriteString("  3. It has no references to drop.\n")
	}
	b.WriteString("  4. It returns nil when every step succeeded, and otherwise a *runtime.CleanupError\n")
	b.WriteString("     naming each step that failed, panicked, timed out or was abandoned. The error\n")
	b.WriteString("     unwraps to the steps' errors, and errors.Is(err, context.DeadlineExceeded) holds\n")
	b.WriteString("     when the deadline cut a step short.\n\n")
	if len(cl.Steps) == 0 {
		b.WriteString("There are no steps.\n\n")
	} else {
		b.WriteString("The steps, by phase:\n\n")
		for _, st := range cl.Steps {
			fmt.Fprintf(&b, "  - phase %d, %s: %s\n", st.Phase, st.Name, stepDoc(st))
		}
		b.WriteString("\n")
	}
	b.WriteString("Only the first call tears down. Later and concurrent calls wait for it, within their\n")
	b.WriteString("own deadline, and return its result. CloseContext is safe to call concurrently.")
	return b.String()
}

// wrap breaks text into lines of at most about 92 columns, the first
// starting with first and the others with rest.
func wrap(first, rest, text string) string {
	var b strings.Builder
	line := first
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len(line)+1+len(word) > 92 {
			b.WriteString(line + "\n")
			line, empty = rest, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	b.WriteString(line + "\n")
	return b.String()
}

func callDoc(recv string, m *Call) string {
	if m.Ctx {
		return recv + "." + m.Method + "(ctx)"
	}
	return recv + "." + m.Method + "()"
}

func stepDoc(st *Step) string {
	var s string
	switch {
	case st.Cancel:
		s = "calls x." + st.Name + "()"
	case st.Wait == WaitGroup:
		s = "waits for x." + st.Name + " to reach zero"
	case st.Wait == WaitChanClosed:
		s = "waits for x." + st.Name + " to be closed, discarding values"
	case st.Call != nil:
		s = "calls " + callDoc("x."+st.Name, st.Call)
		if st.Force != nil {
			s += ", then " + callDoc("x."+st.Name, st.Force) + " if that has not returned in time"
		}
	case st.Each != nil:
		s = "calls " + callDoc("e", &st.Each.Close) + " for each element e of x." + st.Name + ", concurrently"
		if st.Force != nil {
			s += ", then " + callDoc("e", st.Force) + " if that has not returned in time"
		}
	}
	if st.Timeout > 0 {
		s += fmt.Sprintf("; budget %s", st.Timeout)
	}
	return s
}
