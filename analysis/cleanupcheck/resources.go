package cleanupcheck

import (
	"fmt"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/generator"
)

// fieldChecker reports the fields of clients that hold a resource and carry
// no directive, with the directive that tears each down.
type fieldChecker struct {
	pass    *analysis.Pass
	r       *reporter
	clients map[string]bool // the package's client types: they get a generated Close
	facts   *facts
}

// finding is what an undirected field holds and how to tear it down.
type finding struct {
	what   string // what it holds, for the message
	fix    string // the directive to add; "" when none fits the field as it is
	advice string // when fix is "": what to do instead
	owner  string // a back-pointer: the type that owns the client
}

// notResources are types whose Close, Shutdown or Stop is not a resource's
// teardown: a field of one is never reported.
var notResources = []struct{ pkg, name, why string }{
	{"reflect", "Value", "Value.Close closes the channel a Value holds, and panics on the zero Value"},
}

// known are resources without a Close, Shutdown or Stop method, and the
// method that ends them (or, for method "", what to do instead).
var known = []struct{ pkg, name, method, advice string }{
	{"database/sql", "Tx", "Rollback", ""},
	{"bufio", "Writer", "Flush", ""},
	{"os/exec", "Cmd", "Wait", ""},
	{"os", "Process", "Kill", ""},
	{"net/http", "Response", "", "its Body must be closed: keep resp.Body in a field of its own (an io.ReadCloser) with //cleanup:close, and keep the rest with //cleanup:nil"},
}

func (a *fieldChecker) client(d *generator.TypeDecl) {
	type pending struct {
		fd   *generator.FieldDecl
		f    finding
		loop bool
	}
	var list []pending
	waits := false  // the client waits for something: a wait directive, or one suggested
	loopPhase := -1 // the latest phase in which a directive closes a listener or server
	for _, fd := range d.Fields {
		v := fd.Var
		if v == nil || generator.IsGuard(v.Type()) {
			continue
		}
		if fd.Marked {
			for _, dir := range fd.Directives {
				switch {
				case dir.Verb == "wait":
					waits = true
				case dir.Verb == "close" && a.isLoop(v.Type()):
					phase := 2
					if dir.HasOrder {
						phase = dir.Order
					}
					loopPhase = max(loopPhase, phase)
				}
			}
			continue
		}
		f, ok := a.resource(d, v)
		if !ok {
			continue
		}
		waits = waits || strings.HasPrefix(f.fix, "//cleanup:wait")
		list = append(list, pending{fd, f, a.isLoop(v.Type())})
	}
	name := d.Spec.Name.Name
	for _, p := range list {
		v, f := p.fd.Var, p.f
		var why string
		switch {
		case p.loop && waits && strings.HasPrefix(f.fix, "//cleanup:close"):
			// An accept or serve loop's goroutine is what the client waits
			// for: it ends when the listener closes, so close it first.
			f.fix += " order=0"
			why = " (order=0: it closes before the client waits for the goroutines that accept on it)"
		case strings.HasPrefix(f.fix, "//cleanup:wait") && loopPhase >= 1:
			f.fix += fmt.Sprintf(" order=%d", loopPhase+1)
			why = fmt.Sprintf(" (order=%d: it waits after the listener or server of phase %d has closed)", loopPhase+1, loopPhase)
		}
		var msg string
		switch {
		case f.owner != "":
			msg = fmt.Sprintf("field %s of %s points back at its owner (%s holds a %s): closing it from here would close the owner; add %s",
				v.Name(), name, f.owner, name, f.fix)
		case f.fix == "":
			msg = fmt.Sprintf("field %s of %s holds a resource (%s) that no //cleanup: directive tears down; %s, or //cleanup:ignore if %s does not own it",
				v.Name(), name, f.what, f.advice, name)
		default:
			msg = fmt.Sprintf("field %s of %s holds a resource (%s) that no //cleanup: directive tears down; add %s%s, or //cleanup:ignore if %s does not own it",
				v.Name(), name, f.what, f.fix, why, name)
		}
		diag := analysis.Diagnostic{Pos: p.fd.Pos, End: p.fd.Field.Type.End(), Category: "resource", Message: msg}
		if f.fix != "" && p.fd.NameIndex == 0 {
			diag.SuggestedFixes = a.fix(d, p.fd.Index, f.fix)
		}
		a.r.report(diag)
	}
}

// isLoop reports whether a value of type t is a listener or a server: a
// goroutine that accepts or serves on it ends when it closes.
func (a *fieldChecker) isLoop(t types.Type) bool {
	for _, m := range []string{"Accept", "Serve", "ListenAndServe"} {
		if obj, _, _ := types.LookupFieldOrMethod(t, true, a.pass.Pkg, m); obj != nil {
			if _, ok := obj.(*types.Func); ok {
				return true
			}
		}
	}
	return false
}

// resource says what field v of client d holds and how to tear it down, or
// ok false when it holds no resource.
func (a *fieldChecker) resource(d *generator.TypeDecl, v *types.Var) (f finding, ok bool) {
	t := v.Type()
	tstr := types.TypeString(t, func(p *types.Package) string {
		if p == a.pass.Pkg {
			return ""
		}
		return p.Name()
	})
	f.what = tstr
	base := t
	if p, isPtr := types.Unalias(t).(*types.Pointer); isPtr {
		base = p.Elem()
	}
	for _, n := range notResources {
		if isNamed(base, n.pkg, n.name) {
			return finding{}, false
		}
	}
	if isNamed(t, "context", "") {
		if _, isFunc := t.Underlying().(*types.Signature); isFunc {
			if isFuncNoArgs(t) {
				f.fix = "//cleanup:cancel"
			} else {
				f.advice = "//cleanup:cancel calls a func(): keep func() { cancel(cause) } in a field with //cleanup:cancel instead"
			}
			return f, true
		}
	}
	if isFuncNoArgs(t) {
		if a.facts.fromCall[v.Origin()] {
			f.what = "a func() the package stores from a call, such as an unsubscribe"
			f.fix = "//cleanup:cancel"
			return f, true
		}
		if teardownName(v.Name()) {
			f.what = "a func() named as a teardown"
			f.fix = "//cleanup:cancel"
			return f, true
		}
		return finding{}, false
	}
	if isTimer(t) {
		if generator.Callable(a.pass.Fset, a.pass.Pkg, t, "Stop", true) {
			f.fix = "//cleanup:close Stop"
		} else {
			f.advice = timerAdvice
		}
		return f, true
	}
	if isNamed(t, "sync", "WaitGroup") || isPointerTo(t, "sync", "WaitGroup") {
		f.fix = "//cleanup:wait"
		return f, true
	}
	for _, k := range known {
		if isNamed(base, k.pkg, k.name) {
			if k.method == "" {
				f.advice = k.advice
			} else {
				f.fix = "//cleanup:close " + k.method
				f.what = tstr + " has a " + k.method + " method"
			}
			return f, true
		}
	}
	if owner := a.owner(d, t); owner != "" {
		if _, closes := a.closer(t, true); closes {
			return finding{fix: "//cleanup:ignore", owner: owner}, true
		}
	}
	if fix, ok := a.closer(t, true); ok {
		f.what, f.fix = tstr+" has "+methodsOf(fix), fix
		return f, true
	}
	var elem types.Type
	addressable := true
	switch u := t.Underlying().(type) {
	case *types.Slice:
		elem = u.Elem()
	case *types.Array:
		elem = u.Elem()
	case *types.Map:
		elem, addressable = u.Elem(), false
	case *types.Chan:
		if !a.facts.made[v.Origin()] || !a.facts.closed[v.Origin()] {
			// Nothing closes it: waiting for it would last the whole deadline.
			return finding{}, false
		}
		f.what = "a channel the package makes and closes"
		if u.Dir() == types.SendOnly {
			f.advice = "no step can wait for a send-only channel: declare it receivable and add //cleanup:wait, or drop it with //cleanup:nil"
		} else {
			f.fix = "//cleanup:wait"
		}
		return f, true
	}
	if elem == nil {
		return finding{}, false
	}
	if fix, ok := a.closer(elem, addressable); ok {
		f.what, f.fix = "elements with "+methodsOf(fix), fix
		if addressable {
			return f, true
		}
		f.what = "values with " + methodsOf(fix)
		return f, true
	}
	switch {
	case isTimer(elem):
		f.what, f.advice = "timers", timerAdvice
		return f, true
	case isFuncNoArgs(elem):
		f.what = "funcs such as context.CancelFunc"
		f.advice = "//cleanup:cancel calls one func(): keep one func() that calls each of them, with //cleanup:cancel"
		return f, true
	}
	return finding{}, false
}

const timerAdvice = "//cleanup:close cannot call a Stop that returns a bool: hold the timer in a type whose Stop() returns nothing and close that, or drop it with //cleanup:nil"

func isTimer(t types.Type) bool {
	return isNamed(t, "time", "Ticker") || isNamed(t, "time", "Timer") || isPointerTo(t, "time", "Ticker") || isPointerTo(t, "time", "Timer")
}

// teardownName reports whether a func() field's name says that calling it
// ends something.
func teardownName(name string) bool {
	name = strings.ToLower(name)
	for _, p := range []string{"cancel", "stop", "unsub", "release", "cleanup", "teardown", "dispose", "unregister", "unwatch", "shutdown"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// owner returns the name of the struct type that field type t points at,
// when that type holds a d (by value, by pointer, or as the element of a
// slice, array or map): t is a back-pointer to d's owner.
func (a *fieldChecker) owner(d *generator.TypeDecl, t types.Type) string {
	if d.Named == nil {
		return ""
	}
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return ""
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	if !ok {
		return ""
	}
	st, ok := n.Underlying().(*types.Struct)
	if !ok {
		return ""
	}
	self := d.Named.Origin().Obj()
	isSelf := func(t types.Type) bool {
		for range 2 {
			switch u := types.Unalias(t).(type) {
			case *types.Pointer:
				t = u.Elem()
			case *types.Slice:
				t = u.Elem()
			case *types.Array:
				t = u.Elem()
			case *types.Map:
				t = u.Elem()
			}
		}
		sn, ok := types.Unalias(t).(*types.Named)
		return ok && sn.Origin().Obj() == self
	}
	for i := range st.NumFields() {
		if isSelf(st.Field(i).Type()) {
			return n.Obj().Name()
		}
	}
	return ""
}

// closer returns the //cleanup:close directive for a value of type t with a
// Close, Shutdown or Stop method that cleanupgen can call.
func (a *fieldChecker) closer(t types.Type, addressable bool) (string, bool) {
	if a.isClient(t) {
		return "//cleanup:close", true
	}
	has := func(name string) bool {
		return generator.Callable(a.pass.Fset, a.pass.Pkg, t, name, addressable)
	}
	closeOK, shutdown, stop := has("Close"), has("Shutdown"), has("Stop")
	switch {
	case closeOK && shutdown:
		return "//cleanup:close Shutdown force=Close", true
	case stop && has("GracefulStop"):
		return "//cleanup:close GracefulStop force=Stop", true
	case closeOK:
		return "//cleanup:close", true
	case shutdown:
		return "//cleanup:close Shutdown", true
	case stop:
		return "//cleanup:close Stop", true
	}
	return "", false
}

// methodsOf names the methods that a //cleanup:close directive calls.
func methodsOf(fix string) string {
	fields := strings.Fields(fix)
	switch {
	case len(fields) > 2:
		return fields[1] + " and " + strings.TrimPrefix(fields[2], "force=") + " methods"
	case len(fields) > 1:
		return "a " + fields[1] + " method"
	}
	return "a Close method"
}

// isClient reports whether t is a client of the package, or a pointer to
// one: it has the Close that cleanupgen generates, even before the
// generated file exists.
func (a *fieldChecker) isClient(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() == a.pass.Pkg && a.clients[n.Origin().Obj().Name()]
}

func isNamed(t types.Type, pkg, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == pkg && (name == "" || n.Obj().Name() == name)
}

func isPointerTo(t types.Type, pkg, name string) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && isNamed(p.Elem(), pkg, name)
}

func isFuncNoArgs(t types.Type) bool {
	sig, ok := t.Underlying().(*types.Signature)
	return ok && sig.Params().Len() == 0 && sig.Results().Len() == 0 && !sig.Variadic()
}

// fix adds directive to field fi of the client: as its line comment, or,
// when it has a line comment already, as the last line of its doc comment.
// A field that shares its line with the next one gets no fix.
func (a *fieldChecker) fix(d *generator.TypeDecl, fi int, directive string) []analysis.SuggestedFix {
	fields := d.Struct.Fields.List
	f := fields[fi]
	tf := a.pass.Fset.File(f.Pos())
	next := d.Struct.Fields.Closing
	if fi+1 < len(fields) {
		next = fields[fi+1].Pos()
		if fields[fi+1].Doc != nil {
			next = fields[fi+1].Doc.Pos()
		}
	}
	endLine := tf.Line(f.End())
	if f.Comment != nil {
		endLine = tf.Line(f.Comment.End())
	}
	if tf.Line(next) == endLine || tf.Line(f.Pos()) != tf.Line(f.End()) {
		return nil
	}
	msg := "add " + directive
	if f.Comment == nil {
		return []analysis.SuggestedFix{{
			Message:   msg,
			TextEdits: []analysis.TextEdit{{Pos: f.End(), End: f.End(), NewText: []byte(" " + directive)}},
		}}
	}
	// The line comment says something else: write the directive on a line
	// of its own above the field, indented as the field is.
	lineStart := tf.LineStart(tf.Line(f.Pos()))
	indent := strings.Repeat("\t", tf.Position(f.Pos()).Column-1)
	if src, err := a.pass.ReadFile(tf.Name()); err == nil {
		indent = string(src[tf.Offset(lineStart):tf.Offset(f.Pos())])
	}
	return []analysis.SuggestedFix{{
		Message:   msg,
		TextEdits: []analysis.TextEdit{{Pos: lineStart, End: lineStart, NewText: []byte(indent + directive + "\n")}},
	}}
}
