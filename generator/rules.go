package generator

import (
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
)

// This file holds the rules: which verb serves which field type, and what
// step it makes.

// field checks one managed field and adds it, and its step, to cl.
func (c *checker) field(cl *Client, d *TypeDecl, v *types.Var, dir directive) bool {
	t := v.Type()
	name := v.Name()
	tstr := types.TypeString(t, types.RelativeTo(c.pkg))
	_, isTypeParam := types.Unalias(t).(*types.TypeParam)

	varies := c.shared && c.varies(t)
	droppable := isReference(t) || isTypeParam || varies
	f := &Field{Name: name, Type: t, Drop: droppable && !dir.NoDrop, Varies: varies}
	if dir.Lock != "" {
		lock, ok := c.lock(cl, d, v, dir)
		if !ok {
			return false
		}
		f.Lock = lock
	}
	if dir.Verb == "nil" {
		if !droppable {
			c.errorf(dir.Pos, "//cleanup:nil cannot serve field %s of type %s: only pointer, interface, map, slice, channel and func fields can be dropped; use //cleanup:ignore to leave it alone", name, tstr)
			return false
		}
		cl.Fields = append(cl.Fields, f)
		return true
	}
	if dir.Force != "" && dir.Verb != "close" {
		c.errorf(dir.Pos, "//cleanup:%s does not take force=", dir.Verb)
		return false
	}

	st := &Step{Field: f, Phase: dir.Spec().Phase, Timeout: dir.Timeout, Skip: skipOf(t)}
	if dir.HasOrder {
		st.Phase = dir.Order
	}
	var ok bool
	switch dir.Verb {
	case "cancel":
		ok = c.cancelStep(st, dir, tstr)
	case "wait":
		ok = c.waitStep(st, dir, tstr)
	case "close":
		ok = c.closeStep(st, dir, tstr)
	}
	if !ok {
		return false
	}
	c.vary(st)
	f.Step = st
	cl.Fields = append(cl.Fields, f)
	cl.Steps = append(cl.Steps, st)
	return true
}

func (c *checker) cancelStep(st *Step, dir directive, tstr string) bool {
	t := st.Field.Type
	sig, isSig := t.Underlying().(*types.Signature)
	if isTypeParam(t) || !isSig || sig.Params().Len() != 0 || sig.Results().Len() != 0 || sig.Variadic() {
		c.errorf(dir.Pos, "//cleanup:cancel cannot serve field %s of type %s: it calls a func() such as context.CancelFunc; use //cleanup:close for a type with a Close method", st.Field.Name, tstr)
		return false
	}
	st.Kind = StepCancel
	return true
}

func (c *checker) waitStep(st *Step, dir directive, tstr string) bool {
	t := st.Field.Type
	switch {
	case isWaitGroup(t):
		st.Kind, st.Addr = StepWaitGroup, true
	case isPointerTo(t, isWaitGroup):
		st.Kind = StepWaitGroup
	default:
		ch, isChan := t.Underlying().(*types.Chan)
		if isTypeParam(t) || !isChan {
			c.errorf(dir.Pos, "//cleanup:wait cannot serve field %s of type %s: it waits for a sync.WaitGroup, a *sync.WaitGroup or a channel to be closed", st.Field.Name, tstr)
			return false
		}
		if ch.Dir() == types.SendOnly {
			c.errorf(dir.Pos, "//cleanup:wait cannot wait for the send-only channel %s to be closed; declare it as a receivable channel", st.Field.Name)
			return false
		}
		st.Kind = StepWaitChan
	}
	return true
}

func (c *checker) closeStep(st *Step, dir directive, tstr string) bool {
	t, name := st.Field.Type, st.Field.Name
	method := dir.Arg
	if method == "" {
		method = "Close"
	}
	if dir.Arg == "" && !isTypeParam(t) {
		if ch, isChan := t.Underlying().(*types.Chan); isChan {
			return c.closeChan(st, dir, ch, name, tstr)
		}
	}
	if call, ok := c.method(t, method, true); ok {
		st.Kind, st.Method, st.Addr = StepCall, c.cycleAware(t, dir, call, true), needsAddr(t)
		if dir.Force != "" {
			force, fok := c.method(t, dir.Force, true)
			if !fok {
				c.errorf(dir.Pos, "//cleanup:close force=%s: %s", dir.Force, c.methodProblem(t, dir.Force, tstr))
				return false
			}
			st.Force = force
		}
		return true
	}
	each, isEach := eachOf(t)
	if !isEach {
		c.errorf(dir.Pos, "//cleanup:close cannot serve field %s of type %s: %s", name, tstr, c.methodProblem(t, method, tstr))
		if dir.Force != "" {
			if _, fok := c.method(t, dir.Force, true); !fok {
				c.errorf(dir.Pos, "//cleanup:close force=%s: %s", dir.Force, c.methodProblem(t, dir.Force, tstr))
			}
		}
		return false
	}
	elem := each.Elem
	estr := types.TypeString(elem, types.RelativeTo(c.pkg))
	if dir.Arg == "" && !isTypeParam(elem) {
		if ch, isChan := elem.Underlying().(*types.Chan); isChan {
			if !c.closeChan(st, dir, ch, "the elements of "+name, estr) {
				return false
			}
			st.Kind, st.Each, st.Skip = StepEach, each, SkipNil
			return true
		}
	}
	call, ok := c.method(elem, method, !each.Map)
	if !ok {
		c.errorf(dir.Pos, "//cleanup:close cannot serve field %s of type %s: %s", name, tstr, c.elemProblem(elem, method, estr, each.Map))
	}
	var force *Call
	fok := true
	if dir.Force != "" {
		if force, fok = c.method(elem, dir.Force, !each.Map); !fok {
			c.errorf(dir.Pos, "//cleanup:close force=%s on the elements of %s: %s", dir.Force, name, c.elemProblem(elem, dir.Force, estr, each.Map))
		}
	}
	if !ok || !fok {
		return false
	}
	if each.Map && !spellable(each.Key, c.pkg) {
		c.errorf(dir.Pos, "//cleanup:close cannot serve field %s of type %s: the generated code must name its key type %s, which is unexported in another package; use a map whose key type this package can name, or a slice",
			name, tstr, types.TypeString(each.Key, types.RelativeTo(c.pkg)))
		return false
	}
	st.Kind, st.Each, st.Force = StepEach, each, force
	st.Method = c.cycleAware(elem, dir, call, !each.Map)
	st.Skip = skipOf(elem)
	// Elements whose methods need their address are used in place.
	st.Addr = needsAddr(elem) && !each.Map
	return true
}

// vary makes a step whose field or elements are of a type that varies
// between build configurations (see Field.Varies) generate the same code in
// each: the value is used in place, called as (*p).M(), and skipped when it
// is the zero value of its type, whatever that type is here.
func (c *checker) vary(st *Step) {
	if st.Kind != StepCall && st.Kind != StepEach || st.Chan {
		return
	}
	if st.Each == nil {
		if !st.Field.Varies {
			return
		}
		st.Addr, st.Skip = true, SkipVarying
	} else {
		if !c.shared || !c.varies(st.Each.Elem) {
			return
		}
		st.Addr, st.Skip = !st.Each.Map, SkipVarying
	}
	// CallClose needs an io.Closer, which a value that is a pointer here
	// and a struct elsewhere cannot be made in the same words.
	for _, call := range []*Call{st.Method, st.Force} {
		if call != nil {
			call.Dynamic = false
		}
	}
}

// varies reports whether t is a named type (or an alias) declared in a file
// with a build constraint: its underlying type, and so whether it is a
// pointer that can be nil, may be different in another configuration.
func (c *checker) varies(t types.Type) bool {
	switch t := t.(type) {
	case *types.Alias:
		return c.constrainedDecl(t.Obj()) || c.varies(t.Rhs())
	case *types.Named:
		return c.constrainedDecl(t.Obj())
	}
	return false
}

func (c *checker) constrainedDecl(obj types.Object) bool {
	if obj.Pkg() == nil || !obj.Pos().IsValid() {
		return false
	}
	return c.constrainedFile(c.fset.Position(obj.Pos()).Filename)
}

// constrainedFile reports whether the Go file name has a build constraint:
// a _GOOS or _GOARCH name or a //go:build line.
func (c *checker) constrainedFile(name string) bool {
	if name == "" {
		return false
	}
	if goos, goarch := nameTags(name); goos != "" || goarch != "" {
		return true
	}
	if b, ok := c.constrainedFiles[name]; ok {
		return b
	}
	var f *ast.File
	for _, sf := range c.src.files {
		if c.fset.File(sf.FileStart).Name() == name {
			f = sf
		}
	}
	if f == nil {
		f, _ = parser.ParseFile(token.NewFileSet(), name, nil, parser.PackageClauseOnly|parser.ParseComments)
	}
	b := f != nil && buildLine(f) != ""
	if c.constrainedFiles == nil {
		c.constrainedFiles = map[string]bool{}
	}
	c.constrainedFiles[name] = b
	return b
}

// closeChan makes st close the channel field (or, for a collection, each
// channel) of type ch: the close(done) idiom. Only the owner of a channel,
// its sender, may close it.
func (c *checker) closeChan(st *Step, dir directive, ch *types.Chan, name, tstr string) bool {
	if ch.Dir() == types.RecvOnly {
		c.errorf(dir.Pos, "//cleanup:close cannot close %s of type %s: a receive-only channel is closed by its sender, never by a receiver; declare it chan T or chan<- T if the client owns it, or use //cleanup:wait to wait for it to be closed", name, tstr)
		return false
	}
	if dir.Force != "" {
		c.errorf(dir.Pos, "//cleanup:close force=%s: closing the channel %s does not block and has no force method; remove force=", dir.Force, name)
		return false
	}
	st.Kind, st.Chan = StepCall, true
	return true
}

// cycleAware turns the default Close into CloseContext(ctx) when the value
// has that too (a client, generated or hand-written): the step's ctx lets
// the runtime recognise a close reached again from its own teardown, a cycle
// of clients.
func (c *checker) cycleAware(t types.Type, dir directive, call *Call, addressable bool) *Call {
	if dir.Arg != "" || call.Method != "Close" {
		return call
	}
	// A client of the package with method=: its Close is the user's, and
	// calls the generated method.
	if method := c.clientMethod(t); method != "" {
		if m, ok := c.generatedMethod(t, method, addressable); ok {
			return m
		}
	}
	if call.Err && !call.Ctx {
		// Whether t has CloseContext (is a client) may depend on the
		// build configuration: runtime.CallClose decides when it runs.
		dynamic := *call
		dynamic.Dynamic = true
		return &dynamic
	}
	if cc, ok := c.method(t, "CloseContext", addressable); ok && cc.Ctx && cc.Err {
		return cc
	}
	return call
}

// lock checks the lock= option of a field's directive.
func (c *checker) lock(cl *Client, d *TypeDecl, v *types.Var, dir directive) (*Lock, bool) {
	pos := dir.Pos
	for _, o := range dir.Options {
		if o.Key == "lock" {
			pos = o.Pos
		}
	}
	var lf *FieldDecl
	for _, fd := range d.Fields {
		if fd.Var != nil && fd.Var.Name() == dir.Lock {
			lf = fd
		}
	}
	switch {
	case lf == nil:
		c.errorf(pos, "//cleanup:%s lock=%s: %s has no field %s; name a sync.Mutex or sync.RWMutex field of %s", dir.Verb, dir.Lock, cl.Name, dir.Lock, cl.Name)
		return nil, false
	case lf.Var == v:
		c.errorf(pos, "//cleanup:%s lock=%s: a field cannot be its own lock; name the sync.Mutex or sync.RWMutex field that guards %s", dir.Verb, dir.Lock, v.Name())
		return nil, false
	}
	t := lf.Var.Type()
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	rw := isSyncType(t, "RWMutex")
	if !rw && !isSyncType(t, "Mutex") {
		c.errorf(pos, "//cleanup:%s lock=%s: field %s has type %s, not sync.Mutex, sync.RWMutex or a pointer to one", dir.Verb, dir.Lock, dir.Lock,
			types.TypeString(lf.Var.Type(), types.RelativeTo(c.pkg)))
		return nil, false
	}
	for _, fdir := range lf.Directives {
		if fdir.Verb != "ignore" {
			c.errorf(pos, "//cleanup:%s lock=%s: the lock field %s has //cleanup:%s itself; a lock the teardown holds cannot be torn down, mark it //cleanup:ignore", dir.Verb, dir.Lock, dir.Lock, fdir.Verb)
			return nil, false
		}
	}
	for _, l := range cl.Locks {
		if l.Field == dir.Lock {
			return l, true
		}
	}
	l := &Lock{Field: dir.Lock, RW: rw}
	cl.Locks = append(cl.Locks, l)
	return l, true
}

// spellable reports whether code in package local can spell t: it names no
// unexported type, and no struct with unexported fields, of another
// package.
func spellable(t types.Type, local *types.Package) bool {
	foreign := func(obj types.Object) bool {
		return obj.Pkg() != nil && obj.Pkg() != local && !obj.Exported()
	}
	switch t := t.(type) {
	case *types.Alias:
		return !foreign(t.Obj()) && typeListSpellable(t.TypeArgs(), local)
	case *types.Named:
		return !foreign(t.Obj()) && typeListSpellable(t.TypeArgs(), local)
	case *types.Pointer:
		return spellable(t.Elem(), local)
	case *types.Slice:
		return spellable(t.Elem(), local)
	case *types.Array:
		return spellable(t.Elem(), local)
	case *types.Chan:
		return spellable(t.Elem(), local)
	case *types.Map:
		return spellable(t.Key(), local) && spellable(t.Elem(), local)
	case *types.Struct:
		for i := range t.NumFields() {
			if f := t.Field(i); foreign(f) || !spellable(f.Type(), local) {
				return false
			}
		}
	case *types.Interface:
		for i := range t.NumExplicitMethods() {
			if m := t.ExplicitMethod(i); foreign(m) || !spellable(m.Type(), local) {
				return false
			}
		}
		for i := range t.NumEmbeddeds() {
			if !spellable(t.EmbeddedType(i), local) {
				return false
			}
		}
	case *types.Signature:
		for _, tuple := range []*types.Tuple{t.Params(), t.Results()} {
			for i := range tuple.Len() {
				if !spellable(tuple.At(i).Type(), local) {
					return false
				}
			}
		}
	}
	return true
}

func typeListSpellable(list *types.TypeList, local *types.Package) bool {
	for i := range list.Len() {
		if !spellable(list.At(i), local) {
			return false
		}
	}
	return true
}

// eachOf reports whether t is a slice, array or map, and how its elements
// are named.
func eachOf(t types.Type) (*Each, bool) {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return &Each{Elem: u.Elem()}, true
	case *types.Array:
		return &Each{Elem: u.Elem()}, true
	case *types.Map:
		e := &Each{Map: true, Elem: u.Elem(), Key: u.Key()}
		// A named key type is named by runtime.KeyString: its underlying
		// type may differ between build configurations (a handle that is
		// an int on unix and a uintptr on windows).
		if b, ok := u.Key().(*types.Basic); ok {
			info := b.Info()
			switch {
			case info&types.IsString != 0:
				e.KeyKind = KeyString
			case info&types.IsBoolean != 0:
				e.KeyKind = KeyBool
			case info&types.IsUnsigned != 0:
				e.KeyKind = KeyUint
			case info&types.IsInteger != 0:
				e.KeyKind = KeyInt
			case info&types.IsFloat != 0:
				e.KeyKind, e.KeyBits = KeyFloat, 64
				if b.Kind() == types.Float32 {
					e.KeyBits = 32
				}
			case info&types.IsComplex != 0:
				e.KeyKind, e.KeyBits = KeyComplex, 128
				if b.Kind() == types.Complex64 {
					e.KeyBits = 64
				}
			}
		}
		return e, true
	}
	return nil, false
}

// skipOf says how a value of type t that holds no resource is recognised.
// Slices are never skipped: a nil slice of a type with a Close method is
// still closed.
func skipOf(t types.Type) Skip {
	switch {
	case isTypeParam(t):
		return SkipZero
	case isReference(t) && !isSliceKind(t.Underlying()):
		return SkipNil
	}
	return SkipNever
}

func isTypeParam(t types.Type) bool {
	_, ok := types.Unalias(t).(*types.TypeParam)
	return ok
}

// isReference reports whether a value of type t refers to other memory and can
// be dropped by setting it to its zero value: pointer, interface, map, slice,
// channel or func. Type parameters are not: their zero value is unknown here.
func isReference(t types.Type) bool {
	if isTypeParam(t) {
		return false
	}
	switch t.Underlying().(type) {
	case *types.Pointer, *types.Interface, *types.Map, *types.Slice, *types.Chan, *types.Signature:
		return true
	}
	return false
}

func isSliceKind(t types.Type) bool {
	_, ok := t.(*types.Slice)
	return ok
}

// needsAddr reports whether a field or element of type t is used through its
// address: values that are not references, so that pointer-receiver methods
// can be called and locks are not copied. Type parameters are used by value.
func needsAddr(t types.Type) bool {
	return !isTypeParam(t) && !isReference(t)
}
