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

// This file holds the rules on the code that uses a client, between
// Guard.Enter and Guard.Leave:
//
//   - Close or CloseContext called while the same function holds the guard
//     waits for its own call to leave: the whole deadline.
//   - A managed field written while holding the guard, without lock=: the
//     teardown may read and drop it at the same time.
//   - An exported method that uses a managed field without Enter: a call
//     racing Close uses what the teardown closes and drops.

// clientInfo is what the rules need of one valid-looking client type.
type clientInfo struct {
	decl    *generator.TypeDecl
	guard   string                          // the runtime.Guard field, or the one a fix adds
	managed map[string]*generator.FieldDecl // fields with a directive other than ignore, or one suggested
	locks   map[string]string               // managed field -> its lock=, "" for none
	pending map[string]bool                 // managed fields whose directive is only suggested
}

// guardRules checks the package's functions against its clients.
type guardRules struct {
	pass    *analysis.Pass
	r       *reporter
	flow    *flow
	clients map[*types.TypeName]*clientInfo
	fixed   map[*types.Var]bool // fields whose directive a fix already gives lock=
	written map[token.Pos]bool  // writes reported already (a helper called from several methods)
}

func checkGuards(pass *analysis.Pass, r *reporter, a *fieldChecker, decls []*generator.TypeDecl) {
	g := &guardRules{pass: pass, r: r, flow: a.flow, clients: map[*types.TypeName]*clientInfo{}, fixed: map[*types.Var]bool{}, written: map[token.Pos]bool{}}
	for _, d := range decls {
		if d.Named == nil {
			continue
		}
		ci := &clientInfo{decl: d, managed: map[string]*generator.FieldDecl{}, locks: map[string]string{}, pending: map[string]bool{}}
		for _, fd := range d.Fields {
			switch {
			case fd.Var == nil:
			case generator.IsGuard(fd.Var.Type()):
				ci.guard = fd.Var.Name()
			case len(fd.Directives) == 1 && fd.Directives[0].Verb != "ignore":
				ci.managed[fd.Var.Name()] = fd
				ci.locks[fd.Var.Name()] = fd.Directives[0].Lock
			case !fd.Marked && a.pending[fd.Var.Origin()] != "" && !strings.HasPrefix(a.pending[fd.Var.Origin()], "//cleanup:ignore"):
				ci.managed[fd.Var.Name()] = fd
				ci.pending[fd.Var.Name()] = true
				for _, opt := range strings.Fields(a.pending[fd.Var.Origin()]) {
					if l, ok := strings.CutPrefix(opt, "lock="); ok {
						ci.locks[fd.Var.Name()] = l
					}
				}
			}
		}
		if ci.guard == "" && missingGuard(d) {
			ci.guard = guardName(d) // the fix of cleanupgen's diagnostic adds it
		}
		if ci.guard != "" && ci.guard != "_" {
			g.clients[d.Named.Obj()] = ci
		}
	}
	if len(g.clients) == 0 {
		return
	}
	for _, fd := range a.facts.funcs {
		g.function(fd)
	}
}

// clientOf returns the client that a value of type t is, or points to.
func (g *guardRules) clientOf(t types.Type) *clientInfo {
	if t == nil {
		return nil
	}
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok {
		return nil
	}
	return g.clients[n.Origin().Obj()]
}

// call is one method call of interest: on the guard, a mutex or the client.
type call struct {
	key      string // the client expression, as written: c, s.client
	ci       *clientInfo
	field    string // the guard or mutex field; "" for a call on the client
	method   string
	node     *ast.CallExpr
	stmt     ast.Stmt // the statement that makes the call: ExprStmt, DeferStmt, GoStmt or another
	deferred bool
	nested   bool // inside a function literal or a go statement
}

// write is one write of a client's field.
type write struct {
	key   string
	ci    *clientInfo
	field *generator.FieldDecl
	pos   token.Pos
}

// region is where a function holds a client's guard: from Enter to the
// Leave that follows, or to the end when Leave is deferred.
type region struct {
	key        string
	ci         *clientInfo
	enter      *call
	end        token.Pos
	deferLeave token.Pos // the deferred Leave that ends it, if any
}

func (g *guardRules) function(fd *ast.FuncDecl) {
	var calls []*call
	var writes []write
	info := g.pass.TypesInfo
	fieldOf := func(e ast.Expr) (key string, ci *clientInfo, name string) {
		sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
		if !ok {
			return "", nil, ""
		}
		if s := info.Selections[sel]; s == nil || s.Kind() != types.FieldVal {
			return "", nil, ""
		}
		ci = g.clientOf(info.TypeOf(sel.X))
		if ci == nil {
			return "", nil, ""
		}
		return types.ExprString(sel.X), ci, sel.Sel.Name
	}
	recordWrite := func(e ast.Expr, pos token.Pos) {
		if key, ci, name := fieldOf(e); ci != nil && ci.managed[name] != nil {
			writes = append(writes, write{key, ci, ci.managed[name], pos})
		}
	}
	ast.PreorderStack(fd.Body, nil, func(n ast.Node, stack []ast.Node) bool {
		if writtenBy(g.pass, n, recordWrite) {
			return true
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr)
			if !ok {
				return true
			}
			c := &call{node: n, method: sel.Sel.Name}
			if key, ci, name := fieldOf(sel.X); ci != nil && (name == ci.guard || isMutex(info.TypeOf(sel.X))) {
				c.key, c.ci, c.field = key, ci, name
			} else if ci := g.clientOf(info.TypeOf(sel.X)); ci != nil && (c.method == "Close" || c.method == "CloseContext") {
				c.key, c.ci = types.ExprString(sel.X), ci
			} else {
				return true
			}
			for i := len(stack) - 1; i >= 0; i-- {
				switch stack[i].(type) {
				case *ast.FuncLit, *ast.GoStmt:
					c.nested = true
				case *ast.DeferStmt:
					if i == len(stack)-1 {
						c.deferred = true
					}
				}
				if st, ok := stack[i].(ast.Stmt); ok && c.stmt == nil {
					c.stmt = st
				}
			}
			calls = append(calls, c)
		}
		return true
	})

	var regions []region
	for _, e := range calls {
		if e.field != e.ci.guard || (e.method != "Enter" && e.method != "EnterContext") || e.nested {
			continue
		}
		rg := region{key: e.key, ci: e.ci, enter: e, end: fd.Body.End()}
		if e.method == "EnterContext" {
			regions = append(regions, rg) // left by the func it returns, deferred as a rule
			continue
		}
		for _, l := range calls {
			if l.key != e.key || l.field != e.ci.guard || l.method != "Leave" || l.nested || l.node.Pos() < e.node.Pos() {
				continue
			}
			if l.deferred {
				rg.end, rg.deferLeave = fd.Body.End(), l.node.Pos()
				break
			}
			rg.end = l.node.Pos()
			break
		}
		regions = append(regions, rg)
	}

	for _, rg := range regions {
		in := func(pos token.Pos) bool { return rg.enter.node.Pos() < pos && pos < rg.end }
		for _, c := range calls {
			if c.field != "" || c.key != rg.key || c.nested || !in(c.node.Pos()) {
				continue
			}
			if c.deferred && (!rg.deferLeave.IsValid() || c.node.Pos() < rg.deferLeave) {
				continue // runs after Leave
			}
			g.closeInside(rg, c)
		}
		if !guardUses {
			continue
		}
		for _, w := range writes {
			if w.key == rg.key && in(w.pos) && rg.ci.locks[w.field.Var.Name()] == "" {
				g.writeInside(rg, w, g.heldAt(fd, w), "")
			}
		}
		// The helpers it calls while it holds the guard: their writes of
		// the client's fields are made inside too.
		seen := map[*types.Func]bool{}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt, *ast.FuncLit:
				return false
			case *ast.CallExpr:
				if fn := g.flow.callee(n); fn != nil && in(n.Pos()) {
					g.helper(rg, fn, seen)
				}
			}
			return true
		})
	}
	if guardUses {
		g.unguarded(fd, calls)
	}
}

func isMutex(t types.Type) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	return isNamed(t, "sync", "Mutex") || isNamed(t, "sync", "RWMutex")
}

// closeInside reports Close called while the same function holds the guard.
func (g *guardRules) closeInside(rg region, c *call) {
	name := rg.ci.decl.Spec.Name.Name
	d := analysis.Diagnostic{
		Pos:      c.node.Pos(),
		End:      c.node.End(),
		Category: "close-inside",
		Message: fmt.Sprintf("%s.%s called between %s.%s.Enter() and Leave(): it waits for the calls in flight to leave, this one among them, so it waits its whole deadline and fails; close after Leave, or in a goroutine (go %s)",
			name, c.method, rg.key, rg.ci.guard, types.ExprString(c.node)),
	}
	if es, ok := c.stmt.(*ast.ExprStmt); ok && es.X == c.node {
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   "close in a goroutine",
			TextEdits: []analysis.TextEdit{{Pos: c.node.Pos(), End: c.node.Pos(), NewText: []byte("go ")}},
		}}
	}
	g.r.report(d)
}

// heldAt returns the mutex of the client held at write w of fd.
func (g *guardRules) heldAt(fd *ast.FuncDecl, w write) string {
	for _, lw := range g.flow.writes[fd] {
		if lw.pos == w.pos && lw.field == w.field.Var.Origin() {
			return lw.lock
		}
	}
	return ""
}

// helper reports the writes without lock= of rg's client's managed fields
// in fn, a function called while rg's guard is held, and in what it calls.
func (g *guardRules) helper(rg region, fn *types.Func, seen map[*types.Func]bool) {
	if seen[fn] {
		return
	}
	seen[fn] = true
	fd := g.flow.decls[fn]
	if fd == nil || fd.Body == nil {
		return
	}
	for _, lw := range g.flow.writes[fd] {
		fdecl := rg.ci.managed[lw.field.Name()]
		if fdecl == nil || fdecl.Var.Origin() != lw.field || rg.ci.locks[lw.field.Name()] != "" {
			continue
		}
		held := lw.lock
		if held == "" {
			held = g.flow.locked[lw.field]
		}
		g.writeInside(rg, write{key: lw.key, ci: rg.ci, field: fdecl, pos: lw.pos}, held, fd.Name.Name)
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt, *ast.FuncLit:
			return false
		case *ast.CallExpr:
			if c := g.flow.callee(n); c != nil {
				g.helper(rg, c, seen)
			}
		}
		return true
	})
}

// writeInside reports a write of a managed field without lock= while the
// function holds the guard (in a helper it calls, when via is its name),
// suggesting held, the mutex held at the write, if any.
func (g *guardRules) writeInside(rg region, w write, held, via string) {
	if g.written[w.pos] {
		return
	}
	g.written[w.pos] = true
	name := rg.ci.decl.Spec.Name.Name
	field := w.field.Var.Name()
	verb := "directive"
	if len(w.field.Directives) == 1 {
		verb = "//cleanup:" + w.field.Directives[0].Verb
	} else if rg.ci.pending[field] {
		verb = "suggested directive"
	}
	where := fmt.Sprintf("between %s.%s.Enter() and Leave()", rg.key, rg.ci.guard)
	if via != "" {
		where = fmt.Sprintf("by %s, called between %s.%s.Enter() and Leave(),", via, rg.key, rg.ci.guard)
	}
	d := analysis.Diagnostic{Pos: w.pos, Category: "write-inside"}
	if held == "" {
		d.Message = fmt.Sprintf("field %s of %s is written %s and its %s has no lock=: the teardown may read and drop it while this call is inside; write it under a sync.Mutex field of %s and name that field with lock=",
			field, name, where, verb, name)
		g.r.report(d)
		return
	}
	d.Message = fmt.Sprintf("field %s of %s is written %s and its %s has no lock=: the teardown may read and drop it while this call is inside; add lock=%s, the mutex held here",
		field, name, where, verb, held)
	if len(w.field.Directives) == 1 {
		if cm := commentAt(w.field.Field, w.field.Directives[0].Pos); cm != nil && !g.fixed[w.field.Var] {
			g.fixed[w.field.Var] = true
			end := directiveEnd(cm)
			d.SuggestedFixes = []analysis.SuggestedFix{{
				Message:   "add lock=" + held,
				TextEdits: []analysis.TextEdit{{Pos: end, End: end, NewText: []byte(" lock=" + held)}},
			}}
		}
	}
	g.r.report(d)
}

// commentAt returns the comment of field f that starts at pos.
func commentAt(f *ast.Field, pos token.Pos) *ast.Comment {
	for _, g := range []*ast.CommentGroup{f.Doc, f.Comment} {
		if g == nil {
			continue
		}
		for _, c := range g.List {
			if c.Slash == pos {
				return c
			}
		}
	}
	return nil
}

// unguarded reports an exported method of a client that uses a managed
// field of its receiver and never enters the guard.
func (g *guardRules) unguarded(fd *ast.FuncDecl, calls []*call) {
	if fd.Recv == nil || len(fd.Recv.List) != 1 || len(fd.Recv.List[0].Names) != 1 || !fd.Name.IsExported() {
		return
	}
	if fd.Name.Name == "Close" || fd.Name.Name == "CloseContext" {
		return
	}
	recv := fd.Recv.List[0].Names[0]
	obj := g.pass.TypesInfo.Defs[recv]
	if obj == nil || recv.Name == "_" {
		return
	}
	if _, isPtr := types.Unalias(obj.Type()).(*types.Pointer); !isPtr {
		return
	}
	ci := g.clientOf(obj.Type())
	if ci == nil {
		return
	}
	for _, c := range calls {
		if c.key == recv.Name && c.field == ci.guard && (c.method == "Enter" || c.method == "EnterContext") {
			return
		}
	}
	var used string
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		sel, ok := n.(*ast.SelectorExpr)
		if !ok || used != "" {
			return used == ""
		}
		if id, ok := ast.Unparen(sel.X).(*ast.Ident); ok && g.pass.TypesInfo.Uses[id] == obj && ci.managed[sel.Sel.Name] != nil {
			if s := g.pass.TypesInfo.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
				used = sel.Sel.Name
			}
		}
		return true
	})
	if used == "" {
		return
	}
	name := ci.decl.Spec.Name.Name
	enter := fmt.Sprintf("%s.%s.Enter()", recv.Name, ci.guard)
	d := analysis.Diagnostic{
		Pos:      fd.Name.Pos(),
		End:      fd.Name.End(),
		Category: "unguarded",
		Message: fmt.Sprintf("exported method %s.%s uses the managed field %s without %s: a call racing Close uses what the teardown closes and drops; enter the guard first and defer %s.%s.Leave()",
			name, fd.Name.Name, used, enter, recv.Name, ci.guard),
	}
	text, ok := g.enterLeave(fd, recv.Name, ci.guard)
	if !ok {
		d.Message += " (no fix: a result's zero value cannot be written here; return it after Enter's error yourself)"
	}
	if ok {
		// After the line of the brace, which may end in a comment; on
		// that line when the body starts there.
		pos := fd.Body.Lbrace + 1
		tf := g.pass.Fset.File(pos)
		first := fd.Body.Rbrace
		if len(fd.Body.List) > 0 {
			first = fd.Body.List[0].Pos()
		}
		if line := tf.Line(pos); tf.Line(first) > line {
			pos = tf.LineStart(line + 1)
			text = strings.TrimPrefix(text, "\n")
		}
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   "enter the guard",
			TextEdits: []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte(text)}},
		}}
	}
	g.r.report(d)
}

// enterLeave is the text that begins fd's body with Enter and a deferred
// Leave, returning zero values (and Enter's error, when the last result is
// an error) when the client is closed. A method with a context.Context
// parameter may block (a Receive, a long poll): it enters with
// EnterContext, whose context ends when closing begins, so that Close does
// not wait half its deadline for it. A channel result is a closed channel
// after Close, never a nil one: ranging over nil blocks forever.
func (g *guardRules) enterLeave(fd *ast.FuncDecl, recv, guard string) (string, bool) {
	sig, ok := g.pass.TypesInfo.Defs[fd.Name].Type().(*types.Signature)
	if !ok {
		return "", false
	}
	qual := g.qualifier(fd.Pos())
	res := sig.Results()
	var vals, pre []string
	withErr := res.Len() > 0 && types.Identical(res.At(res.Len()-1).Type(), types.Universe.Lookup("error").Type())
	for i := range res.Len() {
		if withErr && i == res.Len()-1 {
			vals = append(vals, "err")
			continue
		}
		t := res.At(i).Type()
		if ch, ok := t.Underlying().(*types.Chan); ok {
			if _, isParam := types.Unalias(t).(*types.TypeParam); !isParam {
				c := fmt.Sprintf("closed%d", i)
				if res.Len() == 1 || (withErr && res.Len() == 2) {
					c = "closed"
				}
				pre = append(pre, fmt.Sprintf("%s := make(chan %s)", c, types.TypeString(ch.Elem(), qual)), fmt.Sprintf("close(%s)", c))
				vals = append(vals, c)
				continue
			}
		}
		z, ok := zero(t, qual)
		if !ok {
			return "", false
		}
		vals = append(vals, z)
	}
	ctx := ""
	params := sig.Params()
	for i := range params.Len() {
		if p := params.At(i); isNamed(p.Type(), "context", "Context") && p.Name() != "" && p.Name() != "_" {
			ctx = p.Name()
			break
		}
	}
	ret := "return"
	if len(vals) > 0 {
		ret += " " + strings.Join(vals, ", ")
	}
	body := strings.Join(append(pre, ret), "\n\t\t")
	if ctx != "" {
		// ctx, leave, err := ... declares err in the body's scope: a later
		// _, err := would then declare nothing new.
		errName := "err"
		for _, st := range fd.Body.List {
			as, ok := st.(*ast.AssignStmt)
			if !ok || as.Tok != token.DEFINE {
				continue
			}
			names := map[string]bool{}
			for _, lhs := range as.Lhs {
				if id, ok := lhs.(*ast.Ident); ok {
					names[id.Name] = true
				}
			}
			delete(names, "_")
			delete(names, ctx)
			delete(names, "leave")
			if names["err"] && len(names) == 1 {
				errName = "enterErr"
			}
		}
		if withErr && errName != "err" {
			vals[len(vals)-1] = errName
			body = strings.Join(append(pre, "return "+strings.Join(vals, ", ")), "\n\t\t")
		}
		return fmt.Sprintf("\n\t%s, leave, %s := %s.%s.EnterContext(%s)\n\tif %s != nil {\n\t\t%s\n\t}\n\tdefer leave()\n",
			ctx, errName, recv, guard, ctx, errName, body), true
	}
	cond := fmt.Sprintf("%s.%s.Enter() != nil", recv, guard)
	if withErr {
		cond = fmt.Sprintf("err := %s.%s.Enter(); err != nil", recv, guard)
	}
	return fmt.Sprintf("\n\tif %s {\n\t\t%s\n\t}\n\tdefer %s.%s.Leave()\n", cond, body, recv, guard), true
}

// qualifier names packages as the file that holds pos imports them.
func (g *guardRules) qualifier(pos token.Pos) types.Qualifier {
	names := map[string]string{}
	for _, f := range g.pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			for _, imp := range f.Imports {
				if imp.Name != nil {
					path := strings.Trim(imp.Path.Value, `"`)
					names[path] = imp.Name.Name
				}
			}
		}
	}
	return func(p *types.Package) string {
		if p == g.pass.Pkg {
			return ""
		}
		if n, ok := names[p.Path()]; ok {
			return n
		}
		return p.Name()
	}
}

// zero is the source of the zero value of type t.
func zero(t types.Type, qual types.Qualifier) (string, bool) {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Info()&types.IsBoolean != 0:
			return "false", true
		case u.Info()&types.IsString != 0:
			return `""`, true
		case u.Info()&types.IsNumeric != 0:
			return "0", true
		case u.Kind() == types.UnsafePointer:
			return "nil", true
		}
		return "", false
	case *types.Pointer, *types.Slice, *types.Map, *types.Chan, *types.Signature, *types.Interface:
		if _, isParam := types.Unalias(t).(*types.TypeParam); isParam {
			return "*new(" + types.TypeString(t, qual) + ")", true
		}
		return "nil", true
	case *types.Struct, *types.Array:
		return types.TypeString(t, qual) + "{}", true
	}
	return "", false
}
