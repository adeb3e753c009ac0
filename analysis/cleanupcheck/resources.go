package cleanupcheck

import (
	"fmt"
	"go/ast"
	"go/token"
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
	flow    *flow
	// pending are the directives that this run suggests, by field: the
	// rules on methods count their fields as managed, so that one -fix
	// run converges.
	pending map[*types.Var]string
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
	verbs := map[*types.Var]string{}  // each field's verb, directed or suggested
	phases := map[*types.Var]int{}    // each directed field's phase
	dropKept := map[*types.Var]bool{} // directed fields with drop=false
	own := map[*types.Var]bool{}      // the client's fields
	waits := false                    // the client waits for something: a wait directive, or one suggested
	loopPhase := -1                   // the latest phase in which a directive closes a listener or server
	for _, fd := range d.Fields {
		v := fd.Var
		if v == nil {
			continue
		}
		own[v.Origin()] = true
		if generator.IsGuard(v.Type()) {
			continue
		}
		if fd.Marked {
			for _, dir := range fd.Directives {
				verbs[v.Origin()] = dir.Verb
				phases[v.Origin()] = defaultPhase(dir.Verb)
				if dir.HasOrder {
					phases[v.Origin()] = dir.Order
				}
				for _, o := range dir.Options {
					if o.Key == "drop" && o.Value == "false" {
						dropKept[v.Origin()] = true
					}
				}
				switch {
				case dir.Verb == "wait":
					waits = true
				case dir.Verb == "close" && a.isLoop(v.Type()):
					loopPhase = max(loopPhase, phases[v.Origin()])
				}
			}
			continue
		}
		f, ok := a.resource(d, v)
		if !ok {
			continue
		}
		if f.fix != "" {
			verbs[v.Origin()] = strings.TrimPrefix(strings.Fields(f.fix)[0], "//cleanup:")
		}
		waits = waits || strings.HasPrefix(f.fix, "//cleanup:wait")
		list = append(list, pending{fd, f, a.isLoop(v.Type())})
	}

	// The goroutines of this client, and which of them a wait step waits
	// for.
	routines := a.flow.routinesOf(d.Named, own)
	awaited := func(r *routine) bool {
		for f := range r.signals {
			if own[f] && verbs[f] == "wait" {
				return true
			}
		}
		return false
	}
	// first: the fields that a waited goroutine blocks on, which must be
	// closed (or cancelled) before the wait; blockedBy: why.
	//
	// unawaitedReads: the fields that a goroutine reads which may still
	// run when the fields are dropped: one that no wait step waits for, or
	// only a wait on a channel. Such a wait returns at the deadline with
	// the goroutine still running, and the drop follows once the other
	// steps have returned; a wait on a WaitGroup cannot return before it,
	// so it is abandoned and holds the drop back.
	byWaitGroup := func(r *routine) bool {
		for f := range r.signals {
			if own[f] && verbs[f] == "wait" && (isNamed(f.Type(), "sync", "WaitGroup") || isPointerTo(f.Type(), "sync", "WaitGroup")) {
				return true
			}
		}
		return false
	}
	first := map[*types.Var]string{}
	unawaitedReads := map[*types.Var]bool{}
	for _, r := range routines {
		if awaited(r) {
			for f, how := range r.blocks {
				if own[f] && (verbs[f] == "close" || verbs[f] == "cancel") && first[f] == "" {
					first[f] = how
				}
			}
		}
		if byWaitGroup(r) {
			continue
		}
		for f := range r.reads {
			unawaitedReads[f] = true
		}
		for f := range r.signals {
			unawaitedReads[f] = true // close(s.done) reads s.done
		}
	}
	// A wait after a directed close that must come first waits in the
	// phase after it.
	waitPhase := max(1, loopPhase+1)
	for f := range first {
		if _, directed := phases[f]; directed && verbs[f] == "close" {
			waitPhase = max(waitPhase, phases[f]+1)
		}
	}

	name := d.Spec.Name.Name
	for _, p := range list {
		v, f := p.fd.Var, p.f
		var why []string
		isClose := strings.HasPrefix(f.fix, "//cleanup:close")
		switch {
		case isClose && first[v.Origin()] != "":
			f.fix += " order=0"
			if how := first[v.Origin()]; how == "waits for ticks of" {
				why = append(why, "order=0: a goroutine that a wait step waits for waits for its ticks: they stop before the wait")
			} else {
				why = append(why, fmt.Sprintf("order=0: a goroutine that a wait step waits for %s it, and ends only once it is closed", how))
			}
		case isClose && isChan(v.Type()):
			// A quit channel, a queue: closing it is what tells the
			// goroutines that receive from it to end, as a cancel does.
			// A channel's close is never started after the deadline (a
			// sender would panic): a later phase might never start.
			f.fix += " order=0"
			why = append(why, "order=0: closing it tells the goroutines that receive from it to end, and a channel is never closed after the deadline")
		case p.loop && waits && isClose:
			// An accept or serve loop's goroutine is what the client waits
			// for: it ends when the listener closes, so close it first.
			f.fix += " order=0"
			why = append(why, "order=0: it closes before the client waits for the goroutines that accept on it")
		case strings.HasPrefix(f.fix, "//cleanup:wait") && waitPhase > 1:
			f.fix += fmt.Sprintf(" order=%d", waitPhase)
			if waitPhase == loopPhase+1 {
				why = append(why, fmt.Sprintf("order=%d: it waits after the listener or server of phase %d has closed", waitPhase, loopPhase))
			} else {
				why = append(why, fmt.Sprintf("order=%d: it waits after the fields its goroutines block on have closed in phase %d", waitPhase, waitPhase-1))
			}
		}
		if lock := a.flow.locked[v.Origin()]; lock != "" && f.fix != "" && f.fix != "//cleanup:ignore" {
			f.fix += " lock=" + lock
			why = append(why, fmt.Sprintf("lock=%s: the package writes it holding %s", lock, lock))
		}
		if unawaitedReads[v.Origin()] && f.fix != "" && f.fix != "//cleanup:ignore" && dropable(v.Type()) {
			f.fix += " drop=false"
			why = append(why, "drop=false: a goroutine that no wait step waits for, or only a wait on a channel, which returns at the deadline, may read it after Close")
		}
		a.pending[v.Origin()] = f.fix
		reason := ""
		if len(why) > 0 {
			reason = " (" + strings.Join(why, "; ") + ")"
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
				v.Name(), name, f.what, f.fix, reason, name)
		}
		diag := analysis.Diagnostic{Pos: p.fd.Pos, End: p.fd.Field.Type.End(), Category: "resource", Message: msg}
		if f.fix != "" && p.fd.NameIndex == 0 {
			diag.SuggestedFixes = a.fix(d, p.fd.Index, f.fix)
		}
		a.r.report(diag)
	}

	// Directed closes that a waited goroutine blocks on, in a phase not
	// before the wait's: the wait lasts the whole deadline.
	for _, r := range routines {
		if !awaited(r) {
			continue
		}
		wait := -1 // the earliest phase of a wait that waits for r
		for f := range r.signals {
			if own[f] && verbs[f] == "wait" {
				p, directed := phases[f]
				if !directed {
					p = waitPhase
				}
				if wait < 0 || p < wait {
					wait = p
				}
			}
		}
		for _, fd := range d.Fields {
			v := fd.Var
			if v == nil || !fd.Marked || len(fd.Directives) != 1 || r.blocks[v.Origin()] == "" {
				continue
			}
			dir := fd.Directives[0]
			if (dir.Verb != "close" && dir.Verb != "cancel") || phases[v.Origin()] < wait {
				continue
			}
			diag := analysis.Diagnostic{
				Pos:      fd.Pos,
				Category: "order",
				Message: fmt.Sprintf("field %s of %s is closed in phase %d, not before phase %d, in which the client waits for a goroutine that %s it and ends only once it is closed: the wait would last the whole deadline; close it first with order=%d",
					v.Name(), name, phases[v.Origin()], wait, r.blocks[v.Origin()], max(wait-1, 0)),
			}
			cm := commentAt(fd.Field, dir.Pos)
			switch {
			case wait == 0:
				diag.Message = fmt.Sprintf("field %s of %s is closed in phase %d, and the client waits in phase 0 for a goroutine that %s it and ends only once it is closed: give the wait a later phase (order=1 or more)",
					v.Name(), name, phases[v.Origin()], r.blocks[v.Origin()])
			case dir.HasOrder || cm == nil || fd.NameIndex != 0:
				// order= is there already: which phase is right is the
				// user's to say.
			default:
				end := directiveEnd(cm)
				diag.SuggestedFixes = []analysis.SuggestedFix{{
					Message:   fmt.Sprintf("add order=%d", wait-1),
					TextEdits: []analysis.TextEdit{{Pos: end, End: end, NewText: []byte(fmt.Sprintf(" order=%d", wait-1))}},
				}}
			}
			a.r.report(diag)
		}
	}

	// Directed fields that an unawaited goroutine reads, without
	// drop=false: the drop after Close races with it.
	for _, fd := range d.Fields {
		v := fd.Var
		if v == nil || !fd.Marked || len(fd.Directives) != 1 {
			continue
		}
		dir := fd.Directives[0]
		if dir.Verb == "ignore" || dropKept[v.Origin()] || !unawaitedReads[v.Origin()] || !dropable(v.Type()) {
			continue
		}
		diag := analysis.Diagnostic{
			Pos:      fd.Pos,
			Category: "drop",
			Message: fmt.Sprintf("field %s of %s is read by a goroutine that no //cleanup:wait step waits for, or only a wait on a channel, which returns at the deadline: setting it to its zero value after Close races with that goroutine, or crashes it; add drop=false to its //cleanup:%s",
				v.Name(), name, dir.Verb),
		}
		if cm := commentAt(fd.Field, dir.Pos); cm != nil && fd.NameIndex == 0 {
			end := directiveEnd(cm)
			diag.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   "add drop=false",
				TextEdits: []analysis.TextEdit{{Pos: end, End: end, NewText: []byte(" drop=false")}},
			}}
		}
		a.r.report(diag)
	}
}

func isChan(t types.Type) bool {
	_, ok := t.Underlying().(*types.Chan)
	return ok
}

// ownsField reports whether v is a field of d that holds a resource d
// closes: directed with close, or one cleanupcheck finds.
func (a *fieldChecker) ownsField(d *generator.TypeDecl, v *types.Var) bool {
	for _, fd := range d.Fields {
		if fd.Var == nil || fd.Var.Origin() != v.Origin() {
			continue
		}
		if fd.Marked {
			return len(fd.Directives) == 1 && fd.Directives[0].Verb == "close"
		}
		_, closes := a.closer(v.Type(), true)
		return closes
	}
	return false
}

// defaultPhase is the phase of a verb without order=.
func defaultPhase(verb string) int {
	switch verb {
	case "cancel":
		return 0
	case "wait":
		return 1
	}
	return 2
}

// dropable reports whether the teardown sets a field of type t to its
// zero value: pointers, interfaces, maps, slices, channels and funcs.
func dropable(t types.Type) bool {
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Interface, *types.Map, *types.Slice, *types.Chan, *types.Signature:
		return true
	}
	return false
}

// directiveEnd is where options go on a directive comment: before a
// trailing " // reason", or at its end.
func directiveEnd(cm *ast.Comment) token.Pos {
	if i := strings.Index(cm.Text[2:], " //"); i >= 0 {
		return cm.Slash + token.Pos(2+i)
	}
	return cm.End()
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
		if v.Name() == "Close" || v.Name() == "CloseContext" {
			return finding{}, false // a clash with the generated method, which cleanupgen reports
		}
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
		// Stop's bool result is ignored by the step.
		f.fix = "//cleanup:close Stop"
		return f, true
	}
	if isNamed(t, "sync", "WaitGroup") || isPointerTo(t, "sync", "WaitGroup") {
		f.fix = "//cleanup:wait"
		return f, true
	}
	if isNamed(base, "bufio", "Writer") {
		// A writer over the client's own connection: a Flush step would
		// run beside the close of that connection, or after it, and beside
		// the goroutines that write through it under their lock.
		for _, under := range a.flow.wraps[v.Origin()] {
			if under.Origin() != v.Origin() && a.ownsField(d, under) {
				f.what = tstr + " over the field " + under.Name() + ", which " + d.Spec.Name.Name + " closes: a Flush step would run beside that close or after it; flush in the methods that write"
				f.fix = "//cleanup:nil"
				return f, true
			}
		}
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
		return a.channel(v, u)
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

const timerAdvice = "//cleanup:close Stop calls each timer's Stop: hold them in a slice or map of *time.Timer with //cleanup:close Stop"

// channel says how to end a channel field that the package makes:
//
//   - a goroutine of the package closes it (defer close(done)): the
//     client waits for it, //cleanup:wait;
//   - a function other than a goroutine closes it (the close(quit) of a
//     hand-written Close), or a goroutine receives from it and none sends
//     on it (a quit channel, a queue that methods fill): the client owns
//     it and closes it, //cleanup:close.
//
// Any other channel is not reported: waiting for a channel nobody closes
// would last the whole deadline, and closing one that a goroutine sends on
// would crash that goroutine.
func (a *fieldChecker) channel(v *types.Var, u *types.Chan) (finding, bool) {
	o := v.Origin()
	if !a.facts.made[o] {
		return finding{}, false
	}
	var closedByRoutine, received, sent bool
	for _, r := range a.flow.routines {
		closedByRoutine = closedByRoutine || r.signals[o]
		received = received || r.blocks[o] == "receives from"
		sent = sent || r.sends[o]
	}
	switch {
	case closedByRoutine && u.Dir() != types.SendOnly:
		return finding{what: "a channel that a goroutine of the package closes when it ends", fix: "//cleanup:wait"}, true
	case closedByRoutine:
		return finding{what: "a channel that a goroutine of the package closes when it ends",
			advice: "no step can wait for a send-only channel: declare it receivable and add //cleanup:wait"}, true
	case a.facts.closed[o]:
		return finding{what: "a channel the package makes and closes", fix: "//cleanup:close"}, true
	case received && !sent:
		return finding{what: "a channel that a goroutine of the package receives from and none sends on: closing it is what ends that goroutine", fix: "//cleanup:close"}, true
	}
	return finding{}, false
}

func isTimer(t types.Type) bool {
	return isNamed(t, "time", "Ticker") || isNamed(t, "time", "Timer") || isPointerTo(t, "time", "Ticker") || isPointerTo(t, "time", "Timer")
}

// teardownName reports whether a func() field's name says that calling it
// ends something.
func teardownName(name string) bool {
	name = strings.ToLower(name)
	name = strings.TrimPrefix(name, "on") // onClose, onStop: a callback to run when the client ends
	for _, p := range []string{"cancel", "stop", "unsub", "release", "cleanup", "teardown", "dispose", "unregister", "unwatch", "shutdown", "close", "exit", "quit", "done", "finish"} {
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
	has := func(name string) bool { return a.callable(t, name, addressable) }
	closeOK, shutdown, stop := has("Close"), has("Shutdown"), has("Stop")
	switch {
	case has("forceClose"):
		// A multiplexed stream: its graceful Close writes to the shared
		// connection, which may be closed by then; its owner force-closes it.
		return "//cleanup:close forceClose", true
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
	case has("close"):
		return "//cleanup:close close", true
	case has("shutdown"):
		return "//cleanup:close shutdown", true
	case has("stop"):
		return "//cleanup:close stop", true
	case has("CloseIdleConnections"):
		return "//cleanup:close CloseIdleConnections", true
	}
	return "", false
}

// callable reports whether a //cleanup:close step can call method name on
// a value of type t: cleanupgen's shapes, and a method whose only result is
// a bool (the step ignores it).
func (a *fieldChecker) callable(t types.Type, name string, addressable bool) bool {
	if generator.Callable(a.pass.Fset, a.pass.Pkg, t, name, addressable) {
		return true
	}
	obj, _, _ := types.LookupFieldOrMethod(t, addressable, a.pass.Pkg, name)
	fn, ok := obj.(*types.Func)
	if !ok {
		return false
	}
	sig := fn.Type().(*types.Signature)
	if sig.Variadic() || sig.Results().Len() != 1 || !types.Identical(sig.Results().At(0).Type(), types.Typ[types.Bool]) {
		return false
	}
	switch sig.Params().Len() {
	case 0:
		return true
	case 1:
		return isNamed(sig.Params().At(0).Type(), "context", "Context")
	}
	return false
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
