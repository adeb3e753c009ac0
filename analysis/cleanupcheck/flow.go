package cleanupcheck

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// This file follows the goroutines that the package starts and the locks
// its functions hold, through the package's own functions they call. What
// it learns decides the options of a suggested directive in one run:
//
//   - order=: a close that a waited goroutine blocks on (a connection it
//     reads, a channel it receives from, a ticker) comes before the wait,
//     or the wait lasts the whole deadline;
//   - drop=false: a field that a goroutine no wait step waits for reads
//     after Close must not be cleared under it;
//   - lock=: a field written under a mutex of the client is read and
//     dropped by the teardown under that mutex.
//
// Fields are followed by name (x.f for any x of the struct type) and
// through locals and parameters that hold them (c := s.conn, go
// handle(s.conn)): an approximation on the side of finding too much,
// since what it adds (an order, drop=false, lock=) is safe when not needed.

// routine is what one goroutine that the package starts does with the
// fields of the package's structs.
type routine struct {
	pos     token.Pos
	starter *ast.FuncDecl         // the function whose go statement starts it
	reads   map[*types.Var]bool   // fields it reads (or writes)
	blocks  map[*types.Var]string // fields it blocks on: "reads from", "receives from", "waits for ticks of", "accepts on"
	sends   map[*types.Var]bool   // channel fields it sends on: closing them would panic it
	signals map[*types.Var]bool   // WaitGroups it marks Done and channels it closes: a wait on one waits for it
}

// flow is what the package's functions do with fields, followed through
// calls.
type flow struct {
	pass    *analysis.Pass
	decls   map[*types.Func]*ast.FuncDecl
	aliases map[*types.Var][]*types.Var // locals and parameters -> the fields they hold
	sums    map[*ast.BlockStmt]*routine
	// routines are the goroutines started by go statements and by
	// WaitGroup.Go, in source order.
	routines []*routine
	// locked maps a field to the mutex field of its struct under which it
	// is written somewhere; unlocked to the positions of the writes that
	// hold none.
	locked map[*types.Var]string
	// writes are the writes of each function, with the lock held there.
	writes map[*ast.FuncDecl][]lockedWrite
	// wraps maps a field to the fields its value was made over:
	// bw: bufio.NewWriter(conn) makes bw wrap conn.
	wraps map[*types.Var][]*types.Var
	// mutexes maps each field of the package's struct types to the names
	// of its struct's mutex fields (see sameStruct).
	mutexes map[*types.Var]map[string]bool
}

// lockedWrite is one write of a field, and the mutex field of the same
// struct held there ("" for none).
type lockedWrite struct {
	field *types.Var
	key   string // the struct expression written through, as written
	pos   token.Pos
	lock  string
}

func newFlow(pass *analysis.Pass, funcs []*ast.FuncDecl) *flow {
	fl := &flow{
		pass:    pass,
		decls:   map[*types.Func]*ast.FuncDecl{},
		aliases: map[*types.Var][]*types.Var{},
		sums:    map[*ast.BlockStmt]*routine{},
		locked:  map[*types.Var]string{},
		writes:  map[*ast.FuncDecl][]lockedWrite{},
		wraps:   map[*types.Var][]*types.Var{},
	}
	for _, fd := range funcs {
		if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
			fl.decls[fn] = fd
		}
	}
	// Two rounds, so that a local that holds a parameter that holds a
	// field is found whatever the order of the functions.
	for range 2 {
		for _, fd := range funcs {
			fl.collectAliases(fd.Body)
		}
	}
	for _, fd := range funcs {
		fl.collectWraps(fd.Body)
	}
	for _, fd := range funcs {
		fl.collectRoutines(fd)
		fl.collectLocks(fd)
	}
	// A write in a function called while a lock is held is under it.
	for _, fd := range funcs {
		for _, w := range fl.writes[fd] {
			if w.lock != "" && fl.locked[w.field] == "" {
				fl.locked[w.field] = w.lock
			}
		}
	}
	return fl
}

// field returns the field of one of the package's structs that e selects,
// or nil.
func (fl *flow) field(e ast.Expr) *types.Var {
	sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
	if !ok {
		return nil
	}
	if s := fl.pass.TypesInfo.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
		if v, ok := s.Obj().(*types.Var); ok && v.Pkg() == fl.pass.Pkg {
			return v.Origin()
		}
	}
	return nil
}

// fields returns the fields that e is, or holds: a selector, or a local or
// parameter that was given one.
func (fl *flow) fields(e ast.Expr) []*types.Var {
	e = ast.Unparen(e)
	if v := fl.field(e); v != nil {
		return []*types.Var{v}
	}
	if id, ok := e.(*ast.Ident); ok {
		if v, ok := fl.pass.TypesInfo.ObjectOf(id).(*types.Var); ok && !v.IsField() {
			return fl.aliases[v]
		}
	}
	return nil
}

func (fl *flow) alias(l *types.Var, fields []*types.Var) {
	for _, f := range fields {
		if !containsVar(fl.aliases[l], f) {
			fl.aliases[l] = append(fl.aliases[l], f)
		}
	}
}

func containsVar(list []*types.Var, v *types.Var) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (fl *flow) localOf(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	v, _ := fl.pass.TypesInfo.ObjectOf(id).(*types.Var)
	if v == nil || v.IsField() || v.Parent() == fl.pass.Pkg.Scope() {
		return nil
	}
	return v
}

// callee returns the package function or method that call calls, if any.
func (fl *flow) callee(call *ast.CallExpr) *types.Func {
	fn := typeutilCallee(fl.pass, call)
	if fn == nil || fn.Pkg() != fl.pass.Pkg {
		return nil
	}
	return fn.Origin()
}

func (fl *flow) collectAliases(body *ast.BlockStmt) {
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) != len(n.Rhs) {
				return true
			}
			for i, lhs := range n.Lhs {
				if l := fl.localOf(lhs); l != nil {
					fl.alias(l, fl.fields(n.Rhs[i]))
				} else if f := fl.field(lhs); f != nil {
					if l := fl.localOf(n.Rhs[i]); l != nil {
						fl.alias(l, []*types.Var{f})
					}
				}
			}
		case *ast.ValueSpec:
			for i, name := range n.Names {
				if i < len(n.Values) {
					if l := fl.localOf(name); l != nil {
						fl.alias(l, fl.fields(n.Values[i]))
					}
				}
			}
		case *ast.CompositeLit:
			st, ok := typeOf(fl.pass, n).(*types.Struct)
			if !ok {
				return true
			}
			for i, elt := range n.Elts {
				var f *types.Var
				val := elt
				if kv, ok := elt.(*ast.KeyValueExpr); ok {
					if id, ok := kv.Key.(*ast.Ident); ok {
						if v, ok := fl.pass.TypesInfo.Uses[id].(*types.Var); ok && v.IsField() && v.Pkg() == fl.pass.Pkg {
							f = v.Origin()
						}
					}
					val = kv.Value
				} else if i < st.NumFields() && st.Field(i).Pkg() == fl.pass.Pkg {
					f = st.Field(i).Origin()
				}
				if l := fl.localOf(val); f != nil && l != nil {
					fl.alias(l, []*types.Var{f})
				}
			}
		case *ast.CallExpr:
			fn := fl.callee(n)
			if fn == nil {
				return true
			}
			sig := fn.Type().(*types.Signature)
			for i, arg := range n.Args {
				if i < sig.Params().Len() {
					fl.alias(sig.Params().At(i), fl.fields(arg))
				}
			}
		case *ast.RangeStmt:
			// for _, c := range s.conns: c holds an element of conns.
			if n.Value != nil {
				if l := fl.localOf(n.Value); l != nil {
					fl.alias(l, fl.fields(n.X))
				}
			}
		}
		return true
	})
}

// collectWraps records the fields stored a value made over others:
// s.bw = bufio.NewWriter(s.conn), &T{bw: bufio.NewWriter(conn)}.
func (fl *flow) collectWraps(body *ast.BlockStmt) {
	over := func(e ast.Expr) []*types.Var {
		call, ok := ast.Unparen(e).(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return nil
		}
		fn := typeutilCallee(fl.pass, call)
		if fn == nil || fn.Pkg() == nil || fn.Pkg().Path() != "bufio" || !strings.HasPrefix(fn.Name(), "NewWriter") {
			return nil
		}
		return fl.fields(call.Args[0])
	}
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			if len(n.Lhs) == len(n.Rhs) {
				for i, lhs := range n.Lhs {
					if f := fl.field(lhs); f != nil {
						fl.wraps[f] = append(fl.wraps[f], over(n.Rhs[i])...)
					}
				}
			}
		case *ast.KeyValueExpr:
			if id, ok := n.Key.(*ast.Ident); ok {
				if v, ok := fl.pass.TypesInfo.Uses[id].(*types.Var); ok && v.IsField() && v.Pkg() == fl.pass.Pkg {
					fl.wraps[v.Origin()] = append(fl.wraps[v.Origin()], over(n.Value)...)
				}
			}
		}
		return true
	})
}

// collectRoutines finds the goroutines that body starts.
func (fl *flow) collectRoutines(fd *ast.FuncDecl) {
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		var r *routine
		switch n := n.(type) {
		case *ast.GoStmt:
			r = fl.started(n.Call.Fun)
			if r == nil {
				return true
			}
			r = r.copy()
			r.pos = n.Pos()
		case *ast.CallExpr:
			// time.AfterFunc(d, f.flush), context.AfterFunc(ctx, f): f
			// runs in a goroutine of its own, which nothing waits for.
			if fn := typeutilCallee(fl.pass, n); fn != nil && fn.Name() == "AfterFunc" && fn.Pkg() != nil &&
				(fn.Pkg().Path() == "time" || fn.Pkg().Path() == "context") && len(n.Args) == 2 {
				if r = fl.started(n.Args[1]); r == nil {
					return true
				}
				r = r.copy()
				r.pos = n.Pos()
				break
			}
			// wg.Go(func() { ... }): a goroutine that wg waits for.
			sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Go" || len(n.Args) != 1 || !isWaitGroupExpr(fl.pass, sel.X) {
				return true
			}
			r = fl.started(n.Args[0])
			if r == nil {
				return true
			}
			r = r.copy()
			for _, f := range fl.fields(sel.X) {
				r.signals[f] = true
			}
			r.pos = n.Pos()
		default:
			return true
		}
		r.starter = fd
		fl.routines = append(fl.routines, r)
		return true
	})
}

func isWaitGroupExpr(pass *analysis.Pass, e ast.Expr) bool {
	t := pass.TypesInfo.TypeOf(e)
	return t != nil && (isNamed(t, "sync", "WaitGroup") || isPointerTo(t, "sync", "WaitGroup"))
}

// started returns the summary of the function that fun, started as a
// goroutine, runs.
func (fl *flow) started(fun ast.Expr) *routine {
	switch fun := ast.Unparen(fun).(type) {
	case *ast.FuncLit:
		return fl.summary(fun.Body)
	default:
		call := &ast.CallExpr{Fun: fun}
		if fn := fl.callee(call); fn != nil {
			if fd := fl.decls[fn]; fd != nil && fd.Body != nil {
				return fl.summary(fd.Body)
			}
		}
	}
	return nil
}

func newRoutine() *routine {
	return &routine{reads: map[*types.Var]bool{}, blocks: map[*types.Var]string{}, sends: map[*types.Var]bool{}, signals: map[*types.Var]bool{}}
}

func (r *routine) copy() *routine {
	c := newRoutine()
	c.merge(r)
	c.pos = r.pos
	return c
}

func (r *routine) merge(o *routine) {
	for f := range o.reads {
		r.reads[f] = true
	}
	for f, how := range o.blocks {
		if r.blocks[f] == "" {
			r.blocks[f] = how
		}
	}
	for f := range o.sends {
		r.sends[f] = true
	}
	for f := range o.signals {
		r.signals[f] = true
	}
}

// blockingMethods are the methods that block until their receiver is
// closed, when nothing arrives.
var blockingMethods = map[string]string{
	"Read": "reads from", "ReadFrom": "reads from", "ReadMsg": "reads from", "ReadMsgUDP": "reads from",
	"ReadString": "reads from", "ReadBytes": "reads from", "ReadLine": "reads from", "ReadByte": "reads from",
	"ReadMessage": "reads from", "NextReader": "reads from", "Recv": "reads from", "RecvMsg": "reads from",
	"Receive": "reads from", "Scan": "reads from", "Accept": "accepts on", "AcceptStream": "accepts on",
}

// readArgs records the fields that call reads from as its arguments:
// io.ReadFull(s.conn, buf), bufio.NewReader(s.conn).
func (fl *flow) readArgs(r *routine, call *ast.CallExpr) {
	if fn := typeutilCallee(fl.pass, call); fn == nil || !readsArgs[fn.Name()] {
		return
	}
	for _, arg := range call.Args {
		if t := fl.pass.TypesInfo.TypeOf(arg); t != nil && isReader(t) {
			for _, f := range fl.fields(arg) {
				if r.blocks[f] == "" {
					r.blocks[f] = "reads from"
				}
			}
		}
	}
}

// readsArgs are the functions that read from a reader they are given
// (io.ReadFull), or return one that does (bufio.NewReader).
var readsArgs = map[string]bool{
	"ReadFull": true, "ReadAtLeast": true, "ReadAll": true, "Copy": true, "CopyN": true, "CopyBuffer": true,
	"NewReader": true, "NewReaderSize": true, "NewScanner": true, "NewDecoder": true,
}

// summary is what body, and the package functions it calls, do with
// fields. Goroutines it starts are not part of it: they are routines of
// their own.
func (fl *flow) summary(body *ast.BlockStmt) *routine {
	if r, ok := fl.sums[body]; ok {
		if r == nil {
			return newRoutine() // recursion: what it does is being summed up
		}
		return r
	}
	fl.sums[body] = nil
	r := newRoutine()
	info := fl.pass.TypesInfo
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			// Its arguments are evaluated before it starts, by this
			// goroutine; what it runs is a routine of its own.
			return false
		case *ast.SelectorExpr:
			// A read through a local (c := s.conn) reads the value, not
			// the field: only a selector races with the field's drop.
			if f := fl.field(n); f != nil {
				r.reads[f] = true
			}
			// s.ticker.C
			if n.Sel.Name == "C" {
				for _, f := range fl.fields(n.X) {
					if isTimer(f.Type()) {
						r.reads[f] = true
					}
				}
			}
		case *ast.UnaryExpr:
			if n.Op == token.ARROW {
				fl.noteReceive(r, n.X)
			}
		case *ast.RangeStmt:
			if t := info.TypeOf(n.X); t != nil {
				if _, ok := t.Underlying().(*types.Chan); ok {
					fl.noteReceive(r, n.X)
				}
			}
		case *ast.SendStmt:
			for _, f := range fl.fields(n.Chan) {
				r.sends[f] = true
			}
		case *ast.CallExpr:
			if isBuiltin(fl.pass, n.Fun, "close") && len(n.Args) == 1 {
				for _, f := range fl.fields(n.Args[0]) {
					r.signals[f] = true
				}
				return true
			}
			if sel, ok := ast.Unparen(n.Fun).(*ast.SelectorExpr); ok {
				if sel.Sel.Name == "Done" && isWaitGroupExpr(fl.pass, sel.X) {
					for _, f := range fl.fields(sel.X) {
						r.signals[f] = true
					}
				}
				if how, ok := blockingMethods[sel.Sel.Name]; ok {
					for _, f := range fl.fields(sel.X) {
						r.blocks[f] = how
					}
				}
			}
			fl.readArgs(r, n)
			if fn := fl.callee(n); fn != nil {
				if fd := fl.decls[fn]; fd != nil && fd.Body != nil {
					r.merge(fl.summary(fd.Body))
				}
			}
		}
		return true
	})
	fl.sums[body] = r
	return r
}

// noteReceive records a receive from e: a channel field, or a ticker's C.
func (fl *flow) noteReceive(r *routine, e ast.Expr) {
	e = ast.Unparen(e)
	if sel, ok := e.(*ast.SelectorExpr); ok && sel.Sel.Name == "C" {
		for _, f := range fl.fields(sel.X) {
			if isTimer(f.Type()) {
				r.blocks[f] = "waits for ticks of"
			}
		}
	}
	for _, f := range fl.fields(e) {
		if _, ok := f.Type().Underlying().(*types.Chan); ok {
			r.blocks[f] = "receives from"
		}
	}
}

var readerIface = types.NewInterfaceType([]*types.Func{
	types.NewFunc(token.NoPos, nil, "Read", types.NewSignatureType(nil, nil, nil,
		types.NewTuple(types.NewParam(token.NoPos, nil, "p", types.NewSlice(types.Typ[types.Byte]))),
		types.NewTuple(types.NewParam(token.NoPos, nil, "n", types.Typ[types.Int]), types.NewParam(token.NoPos, nil, "err", types.Universe.Lookup("error").Type())), false)),
}, nil).Complete()

func isReader(t types.Type) bool {
	if _, ok := t.Underlying().(*types.Interface); ok {
		return types.Implements(t, readerIface)
	}
	return types.Implements(t, readerIface) || types.Implements(types.NewPointer(t), readerIface)
}

// mutexOf returns the name of the mutex field of x's struct that a call
// x.mu.Lock() or x.Lock() (a promoted method of an embedded mutex) locks,
// and the expression x.
func (fl *flow) mutexOf(call *ast.CallExpr, method string) (key, lock string) {
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != method {
		return "", ""
	}
	if f := fl.field(sel.X); f != nil && isMutex(f.Type()) {
		inner := ast.Unparen(sel.X).(*ast.SelectorExpr)
		return types.ExprString(inner.X), f.Name()
	}
	s := fl.pass.TypesInfo.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal || len(s.Index()) < 2 {
		return "", ""
	}
	st, ok := typeOf(fl.pass, sel.X).(*types.Struct)
	if !ok || s.Index()[0] >= st.NumFields() {
		return "", ""
	}
	f := st.Field(s.Index()[0])
	if !f.Embedded() || !isMutex(f.Type()) {
		return "", ""
	}
	return types.ExprString(sel.X), f.Name()
}

// collectLocks finds the writes of fields in fd and the lock of the same
// struct expression held at each: from x.mu.Lock() to the x.mu.Unlock()
// that follows, or to the end of the function when Unlock is deferred.
// A call of a package function while a lock is held holds it in the
// callee as well.
func (fl *flow) collectLocks(fd *ast.FuncDecl) {
	type region struct {
		key, lock  string
		start, end token.Pos
	}
	var regions []region
	var unlocks []region
	type callAt struct {
		fn  *types.Func
		pos token.Pos
	}
	var calls []callAt
	var writes []lockedWrite
	record := func(e ast.Expr, pos token.Pos) {
		if f := fl.field(e); f != nil {
			writes = append(writes, lockedWrite{field: f, key: types.ExprString(e.(*ast.SelectorExpr).X), pos: pos})
		}
	}
	ast.PreorderStack(fd.Body, nil, func(n ast.Node, stack []ast.Node) bool {
		nested := false
		for _, s := range stack {
			if _, ok := s.(*ast.FuncLit); ok {
				nested = true
			}
		}
		if writtenBy(fl.pass, n, record) {
			return true
		}
		switch n := n.(type) {
		case *ast.GoStmt:
			return false
		case *ast.CallExpr:
			deferred := len(stack) > 0
			if deferred {
				_, deferred = stack[len(stack)-1].(*ast.DeferStmt)
			}
			if key, lock := fl.mutexOf(n, "Lock"); lock != "" && !nested && !deferred {
				regions = append(regions, region{key: key, lock: lock, start: n.Pos(), end: fd.Body.End()})
				return true
			}
			if key, lock := fl.mutexOf(n, "Unlock"); lock != "" && !nested && !deferred {
				unlocks = append(unlocks, region{key: key, lock: lock, start: n.Pos()})
				return true
			}
			if fn := fl.callee(n); fn != nil {
				calls = append(calls, callAt{fn, n.Pos()})
			}
		}
		return true
	})
	for i := range regions {
		for _, u := range unlocks {
			if u.key == regions[i].key && u.lock == regions[i].lock && u.start > regions[i].start && u.start < regions[i].end {
				regions[i].end = u.start
			}
		}
	}
	for i, w := range writes {
		for _, rg := range regions {
			if rg.key == w.key && rg.start < w.pos && w.pos < rg.end && fl.sameStruct(w.field, rg.lock) {
				writes[i].lock = rg.lock
			}
		}
	}
	fl.writes[fd] = append(fl.writes[fd], writes...)
	for _, c := range calls {
		for _, rg := range regions {
			if rg.start < c.pos && c.pos < rg.end {
				fl.lockCallee(c.fn, rg.lock, map[*types.Func]bool{})
			}
		}
	}
}

// lockCallee marks the writes in fn, and in what it calls, of a struct
// with a mutex field named lock, as made under it.
func (fl *flow) lockCallee(fn *types.Func, lock string, seen map[*types.Func]bool) {
	if seen[fn] {
		return
	}
	seen[fn] = true
	fd := fl.decls[fn]
	if fd == nil || fd.Body == nil {
		return
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		var targets []ast.Expr
		switch n := n.(type) {
		case *ast.GoStmt, *ast.FuncLit:
			return false
		case *ast.AssignStmt:
			if n.Tok != token.DEFINE {
				targets = n.Lhs
			}
		case *ast.IncDecStmt:
			targets = []ast.Expr{n.X}
		case *ast.CallExpr:
			if (isBuiltin(fl.pass, n.Fun, "delete") || isBuiltin(fl.pass, n.Fun, "clear")) && len(n.Args) > 0 {
				targets = n.Args[:1]
			} else if c := fl.callee(n); c != nil {
				fl.lockCallee(c, lock, seen)
			}
		}
		for _, e := range targets {
			e = ast.Unparen(e)
			if ix, ok := e.(*ast.IndexExpr); ok {
				e = ix.X
			}
			if f := fl.field(e); f != nil && fl.sameStruct(f, lock) && fl.locked[f] == "" {
				fl.locked[f] = lock
			}
		}
		return true
	})
}

// sameStruct reports whether the struct that declares field f has a mutex
// field named lock. Fields do not know their struct: the first call maps
// every field of the package's struct types to theirs.
func (fl *flow) sameStruct(f *types.Var, lock string) bool {
	if fl.mutexes == nil {
		fl.mutexes = map[*types.Var]map[string]bool{}
		scope := fl.pass.Pkg.Scope()
		for _, name := range scope.Names() {
			tn, ok := scope.Lookup(name).(*types.TypeName)
			if !ok {
				continue
			}
			st, ok := tn.Type().Underlying().(*types.Struct)
			if !ok {
				continue
			}
			locks := map[string]bool{}
			for i := range st.NumFields() {
				if sf := st.Field(i); isMutex(sf.Type()) {
					locks[sf.Name()] = true
				}
			}
			for i := range st.NumFields() {
				fl.mutexes[st.Field(i).Origin()] = locks
			}
		}
	}
	return fl.mutexes[f][lock]
}

// routinesOf returns the goroutines of client n, whose fields are
// given: those that its methods and its constructors (the functions that
// return one) start, and that use one of its fields. A goroutine that
// code using the client starts (go srv.Serve(ln) in main) is the user's.
func (fl *flow) routinesOf(n *types.Named, fields map[*types.Var]bool) []*routine {
	var out []*routine
	for _, r := range fl.routines {
		if r.touches(fields) && fl.owns(r.starter, n) {
			out = append(out, r)
		}
	}
	return out
}

// owns reports whether fd is a method of n or returns an n or *n.
func (fl *flow) owns(fd *ast.FuncDecl, n *types.Named) bool {
	fn, ok := fl.pass.TypesInfo.Defs[fd.Name].(*types.Func)
	if !ok || n == nil {
		return false
	}
	sig := fn.Type().(*types.Signature)
	is := func(t types.Type) bool {
		if p, ok := types.Unalias(t).(*types.Pointer); ok {
			t = p.Elem()
		}
		tn, ok := types.Unalias(t).(*types.Named)
		return ok && tn.Origin().Obj() == n.Origin().Obj()
	}
	if sig.Recv() != nil && is(sig.Recv().Type()) {
		return true
	}
	for i := range sig.Results().Len() {
		if is(sig.Results().At(i).Type()) {
			return true
		}
	}
	return false
}

func (r *routine) touches(fields map[*types.Var]bool) bool {
	for _, m := range []map[*types.Var]bool{r.reads, r.sends, r.signals} {
		for f := range m {
			if fields[f] {
				return true
			}
		}
	}
	for f := range r.blocks {
		if fields[f] {
			return true
		}
	}
	return false
}

// typeutilCallee returns the function or method that call calls, in any
// package, as typeutil.Callee finds it; nil for a call of a func value or
// a builtin.
func typeutilCallee(pass *analysis.Pass, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(pass.TypesInfo, call).(*types.Func)
	return fn
}
