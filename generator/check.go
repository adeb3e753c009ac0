package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// DefaultTimeout is the budget of Close when //cleanup:client has no timeout=.
const DefaultTimeout = 5 * time.Second

// checker turns one loaded package into the model, collecting diagnostics.
type checker struct {
	clients map[string]bool    // names of the package's //cleanup:client types, whether valid or not
	seen    map[token.Pos]bool // comments read as the doc or line comment of a type or field
	fset    *token.FileSet
	l       *loaded
	pkg     *types.Package
	diags   Diagnostics
}

func (c *checker) errorf(pos token.Pos, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{Pos: c.fset.Position(pos), Msg: fmt.Sprintf(format, args...)})
}

// directives parses every //cleanup: line of the comment groups, reporting
// malformed ones.
func (c *checker) directives(groups ...*ast.CommentGroup) []Directive {
	var out []Directive
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, cm := range g.List {
			d, ok, err := ParseDirective(cm.Slash, cm.Text)
			c.seen[cm.Slash] = true
			if !ok {
				continue
			}
			if err != nil {
				var de *DirectiveError
				if asDirectiveError(err, &de) {
					c.errorf(de.Pos, "%s", de.Msg)
				} else {
					c.errorf(cm.Slash, "%v", err)
				}
				continue
			}
			out = append(out, d)
		}
	}
	return out
}

func asDirectiveError(err error, target **DirectiveError) bool {
	de, ok := err.(*DirectiveError)
	if ok {
		*target = de
	}
	return ok
}

// check builds the model of one package.
func check(l *loaded) (*Package, Diagnostics) {
	p := l.pkg
	c := &checker{fset: p.Fset, l: l, pkg: p.Types, seen: map[token.Pos]bool{}}
	out := &Package{Name: p.Name, Path: p.PkgPath, Dir: packageDir(p), Types: p.Types}
	c.clients = clientNames(l)
	l.typeSpecs(func(gd *ast.GenDecl, ts *ast.TypeSpec) {
		if cl := c.typeSpec(ts, c.directives(TypeComments(gd, ts)...)); cl != nil {
			out.Clients = append(out.Clients, cl)
		}
	})
	c.strays()
	c.names(out)
	c.diags.sort()
	return out, c.diags
}

// strays reports the //cleanup: lines that are not the doc or line comment
// of a package-level type or of a field of one: a directive separated from
// its declaration by a blank line, on a var or func, in a function body, or
// in a nested struct type. They would silently do nothing.
func (c *checker) strays() {
	for _, f := range c.l.pkg.Syntax {
		if c.l.isOutput(c.fset.File(f.FileStart).Name()) {
			continue
		}
		for _, g := range f.Comments {
			for _, cm := range g.List {
				if c.seen[cm.Slash] || !IsDirective(cm.Text) {
					continue
				}
				c.errorf(cm.Slash, "%s is not attached to a package-level type or to a field of one, and does nothing; write it in the doc comment (no blank line between) or the line comment of the type or field",
					strings.Fields(cm.Text)[0])
			}
		}
	}
}

// clientNames finds the types with a //cleanup:client directive, before
// checking: a field whose type is another client of the package has the
// Close method that this run generates.
func clientNames(l *loaded) map[string]bool {
	names := map[string]bool{}
	l.typeSpecs(func(gd *ast.GenDecl, ts *ast.TypeSpec) {
		for _, g := range TypeComments(gd, ts) {
			if g == nil {
				continue
			}
			for _, cm := range g.List {
				if d, ok, _ := ParseDirective(cm.Slash, cm.Text); ok && d.Verb == "client" {
					names[ts.Name.Name] = true
				}
			}
		}
	})
	return names
}

// typeSpecs calls fn for each package-level type declaration of the
// package, in source order, leaving out the file this run writes.
func (l *loaded) typeSpecs(fn func(gd *ast.GenDecl, ts *ast.TypeSpec)) {
	for _, f := range l.pkg.Syntax {
		if l.isOutput(l.pkg.Fset.File(f.FileStart).Name()) {
			continue
		}
		for _, decl := range f.Decls {
			if gd, ok := decl.(*ast.GenDecl); ok && gd.Tok == token.TYPE {
				for _, spec := range gd.Specs {
					fn(gd, spec.(*ast.TypeSpec))
				}
			}
		}
	}
}

// typeSpec checks one type declaration and its fields; it returns the client
// when the type is a valid //cleanup:client.
func (c *checker) typeSpec(ts *ast.TypeSpec, ds []Directive) *Client {
	var client *Directive
	for i := range ds {
		d := &ds[i]
		spec := d.Spec()
		if spec.Target != OnType {
			c.errorf(d.Pos, "//cleanup:%s applies to struct fields, not types; write it on a field of a //cleanup:client struct", d.Verb)
			continue
		}
		if client != nil {
			c.errorf(d.Pos, "type %s has more than one //cleanup:client directive; keep one", ts.Name.Name)
			continue
		}
		client = d
	}
	st, isStruct := ts.Type.(*ast.StructType)
	if client != nil && (!isStruct || ts.Assign.IsValid()) {
		c.errorf(client.Pos, "//cleanup:client needs a struct type, and %s is not one; declare it as type %s struct{...} with a runtime.Guard field", ts.Name.Name, ts.Name.Name)
		return nil
	}
	if !isStruct {
		return nil
	}
	obj, _ := c.pkg.Scope().Lookup(ts.Name.Name).(*types.TypeName)
	if obj == nil {
		return nil // not package level, or not type-checked
	}
	named, _ := obj.Type().(*types.Named)
	var tstruct *types.Struct
	if named != nil {
		tstruct, _ = named.Underlying().(*types.Struct)
	}
	if tstruct == nil {
		return nil
	}

	// Pair each AST field with its types.Var: a field with n names declares n vars.
	type fieldDecl struct {
		v   *types.Var
		ds  []Directive
		pos token.Pos
	}
	var fields []fieldDecl
	vi := 0
	for _, f := range st.Fields.List {
		ds := c.directives(f.Doc, f.Comment)
		n := max(len(f.Names), 1)
		for k := 0; k < n && vi < tstruct.NumFields(); k++ {
			pos := f.Type.Pos()
			if len(f.Names) > 0 {
				pos = f.Names[k].Pos()
			}
			fields = append(fields, fieldDecl{v: tstruct.Field(vi), ds: ds, pos: pos})
			vi++
		}
	}

	if client == nil {
		for _, fd := range fields {
			for _, d := range fd.ds {
				c.errorf(d.Pos, "//cleanup:%s on a field of %s, which has no //cleanup:client directive; add //cleanup:client to type %s", d.Verb, ts.Name.Name, ts.Name.Name)
			}
		}
		return nil
	}

	cl := &Client{Name: ts.Name.Name, Timeout: DefaultTimeout, Pos: client.Pos}
	if client.Timeout > 0 {
		cl.Timeout = client.Timeout
	}
	if tps := named.TypeParams(); tps != nil {
		for i := range tps.Len() {
			cl.TypeParams = append(cl.TypeParams, tps.At(i))
		}
	}
	ok := true

	// The guard.
	var guards []fieldDecl
	for _, fd := range fields {
		t := fd.v.Type()
		if isGuard(t) {
			guards = append(guards, fd)
			continue
		}
		if ptr, isPtr := t.(*types.Pointer); isPtr && isGuard(ptr.Elem()) {
			ok = false
			if fd.v.Embedded() {
				c.errorf(fd.pos, "%s embeds *runtime.Guard by pointer; embed or declare runtime.Guard by value: the zero value is ready and it must not be shared", cl.Name)
			} else {
				c.errorf(fd.pos, "field %s is a *runtime.Guard; declare it as runtime.Guard by value: the zero value is ready and it must not be shared", fd.v.Name())
			}
		}
	}
	switch {
	case len(guards) == 1:
		cl.Guard = guards[0].v.Name()
		cl.Fields = append(cl.Fields, &Ref{Field: cl.Guard, Type: guards[0].v.Type()})
	case len(guards) == 0 && ok:
		ok = false
		c.errorf(client.Pos, "//cleanup:client type %s has no runtime.Guard field; add one, e.g. `guard runtime.Guard` (import %q)", cl.Name, RuntimePath)
	case len(guards) > 1:
		ok = false
		for _, g := range guards[1:] {
			c.errorf(g.pos, "%s has more than one runtime.Guard field (the first is %s); keep exactly one", cl.Name, guards[0].v.Name())
		}
	}

	// Close and CloseContext must be ours to declare.
	for _, name := range []string{"Close", "CloseContext"} {
		for i := range named.NumMethods() {
			m := named.Method(i)
			if m.Name() == name && !c.l.inOutput(c.fset, m.Pos()) {
				ok = false
				c.errorf(client.Pos, "%s already declares %s (%s), which cleanupgen generates for //cleanup:client; remove the method or the directive",
					cl.Name, name, c.where(m.Pos()))
			}
		}
		for _, fd := range fields {
			if fd.v.Name() == name {
				ok = false
				c.errorf(fd.pos, "%s has a field named %s, which would clash with the generated method; rename the field", cl.Name, name)
			}
		}
	}

	// The managed fields.
	for _, fd := range fields {
		if len(fd.ds) > 1 {
			ok = false
			c.errorf(fd.ds[1].Pos, "field %s has more than one //cleanup: directive; keep one", fd.v.Name())
			continue
		}
		if len(fd.ds) == 0 {
			continue
		}
		d := fd.ds[0]
		if d.Spec().Target != OnField {
			ok = false
			c.errorf(d.Pos, "//cleanup:%s applies to types, not fields; write it in the doc comment of the struct type", d.Verb)
			continue
		}
		if isGuard(fd.v.Type()) {
			ok = false
			c.errorf(d.Pos, "//cleanup:%s on the runtime.Guard field %s; the guard is managed by the generated Close, remove the directive", d.Verb, fd.v.Name())
			continue
		}
		if !c.field(cl, fd.v, d) {
			ok = false
		}
	}
	slices.SortStableFunc(cl.Steps, func(a, b *Step) int { return a.Phase - b.Phase })
	if !ok {
		return nil
	}
	return cl
}

// where names a position of the package by its file's base name and line:
// the files of a package share a directory.
func (c *checker) where(pos token.Pos) string {
	p := c.fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}

func isGuard(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == "Guard" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == RuntimePath
}

var defaultPhase = map[string]int{"cancel": 0, "wait": 1, "close": 2}

// field checks one managed field and adds its step, refs and drop to cl.
func (c *checker) field(cl *Client, v *types.Var, d Directive) bool {
	t := v.Type()
	name := v.Name()
	tstr := types.TypeString(t, types.RelativeTo(c.pkg))
	under := t.Underlying()
	_, isTypeParam := types.Unalias(t).(*types.TypeParam)
	ref := isReference(t)

	if d.Verb == "ignore" {
		return true
	}
	cl.Fields = append(cl.Fields, &Ref{Field: name, Type: t})
	if d.Verb == "nil" {
		if !ref && !isTypeParam {
			c.errorf(d.Pos, "//cleanup:nil cannot serve field %s of type %s: only pointer, interface, map, slice, channel and func fields can be dropped; use //cleanup:ignore to leave it alone", name, tstr)
			return false
		}
		addDrop(cl, name, t)
		return true
	}

	st := &Step{Name: name, Verb: d.Verb, Phase: defaultPhase[d.Verb], Timeout: d.Timeout, Nilable: ref && !isSliceKind(under)}
	if d.HasOrder {
		st.Phase = d.Order
	}
	if d.Force != "" && d.Verb != "close" {
		c.errorf(d.Pos, "//cleanup:%s does not take force=", d.Verb)
		return false
	}

	switch d.Verb {
	case "cancel":
		sig, isSig := under.(*types.Signature)
		if isTypeParam || !isSig || sig.Params().Len() != 0 || sig.Results().Len() != 0 || sig.Variadic() {
			c.errorf(d.Pos, "//cleanup:cancel cannot serve field %s of type %s: it calls a func() such as context.CancelFunc; use //cleanup:close for a type with a Close method", name, tstr)
			return false
		}
		st.Cancel = true
	case "wait":
		switch {
		case isWaitGroup(t):
			st.Wait = WaitGroup
		case isPointerTo(t, isWaitGroup):
			st.Wait = WaitGroup
		default:
			ch, isChan := under.(*types.Chan)
			if isTypeParam || !isChan {
				c.errorf(d.Pos, "//cleanup:wait cannot serve field %s of type %s: it waits for a sync.WaitGroup, a *sync.WaitGroup or a channel to be closed", name, tstr)
				return false
			}
			if ch.Dir() == types.SendOnly {
				c.errorf(d.Pos, "//cleanup:wait cannot wait for the send-only channel %s to be closed; declare it as a receivable channel", name)
				return false
			}
			st.Wait = WaitChanClosed
		}
	case "close":
		method := d.Arg
		if method == "" {
			method = "Close"
		}
		if call, ok := c.method(t, method, true); ok {
			st.Call = call
			if d.Force != "" {
				force, fok := c.method(t, d.Force, true)
				if !fok {
					c.errorf(d.Pos, "//cleanup:close force=%s: %s", d.Force, c.methodProblem(t, d.Force, tstr))
					return false
				}
				st.Force = force
			}
		} else if each, elem, isEach := c.each(t); isEach {
			estr := types.TypeString(elem, types.RelativeTo(c.pkg))
			call, ok := c.method(elem, method, !each.isMap())
			if !ok {
				c.errorf(d.Pos, "//cleanup:close cannot serve field %s of type %s: %s", name, tstr, c.elemProblem(elem, method, estr, each.isMap()))
			}
			var force *Call
			fok := true
			if d.Force != "" {
				if force, fok = c.method(elem, d.Force, !each.isMap()); !fok {
					c.errorf(d.Pos, "//cleanup:close force=%s on the elements of %s: %s", d.Force, name, c.elemProblem(elem, d.Force, estr, each.isMap()))
				}
			}
			if !ok || !fok {
				return false
			}
			each.Close = *call
			each.Addr = needsAddr(elem) && !each.isMap()
			st.Force = force
			st.Each = each
			st.Nilable = false
		} else {
			c.errorf(d.Pos, "//cleanup:close cannot serve field %s of type %s: %s", name, tstr, c.methodProblem(t, method, tstr))
			if d.Force != "" {
				if _, fok := c.method(t, d.Force, true); !fok {
					c.errorf(d.Pos, "//cleanup:close force=%s: %s", d.Force, c.methodProblem(t, d.Force, tstr))
				}
			}
			return false
		}
	}
	cl.Steps = append(cl.Steps, st)
	cl.Refs = append(cl.Refs, &Ref{Field: name, Type: t, Addr: needsAddr(t)})
	addDrop(cl, name, t)
	return true
}

// addDrop adds the field to those dropped after teardown if it can hold a
// reference: a pointer, interface, map, slice, channel or func, or a type
// parameter, which is zeroed with *new(E).
func addDrop(cl *Client, name string, t types.Type) {
	if isReference(t) {
		cl.Drop = append(cl.Drop, name)
	}
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		cl.Drop = append(cl.Drop, name)
		if cl.DropTypeParam == nil {
			cl.DropTypeParam = map[string]string{}
		}
		cl.DropTypeParam[name] = tp.Obj().Name()
	}
}

// each reports whether t is a slice, array or map, and its element type.
func (c *checker) each(t types.Type) (*Each, types.Type, bool) {
	switch u := t.Underlying().(type) {
	case *types.Slice:
		return &Each{Kind: EachSlice, Nilable: isNilable(u.Elem())}, u.Elem(), true
	case *types.Array:
		return &Each{Kind: EachSlice, Nilable: isNilable(u.Elem())}, u.Elem(), true
	case *types.Map:
		_, isString := u.Key().Underlying().(*types.Basic)
		isString = isString && u.Key().Underlying().(*types.Basic).Info()&types.IsString != 0
		plain := types.Identical(types.Unalias(u.Key()), types.Typ[types.String])
		return &Each{Kind: EachMap, StringKey: isString, PlainString: plain, Nilable: isNilable(u.Elem())}, u.Elem(), true
	}
	return nil, nil, false
}

const acceptedShapes = "M(), M() error, M(context.Context) or M(context.Context) error"

// method finds a callable teardown method named name on values of type t.
// addressable says whether the value can have its address taken.
func (c *checker) method(t types.Type, name string, addressable bool) (*Call, bool) {
	if call, ok := c.generatedMethod(t, name, addressable); ok {
		return call, true
	}
	obj, _, _ := types.LookupFieldOrMethod(t, addressable, c.pkg, name)
	fn, ok := obj.(*types.Func)
	if !ok || c.l.inOutput(c.fset, fn.Pos()) {
		return nil, false
	}
	sig := fn.Type().(*types.Signature)
	call := &Call{Method: name}
	if sig.Variadic() {
		return nil, false
	}
	switch sig.Params().Len() {
	case 0:
	case 1:
		if !isContext(sig.Params().At(0).Type()) {
			return nil, false
		}
		call.Ctx = true
	default:
		return nil, false
	}
	switch sig.Results().Len() {
	case 0:
	case 1:
		if !types.Identical(sig.Results().At(0).Type(), types.Universe.Lookup("error").Type()) {
			return nil, false
		}
		call.Err = true
	default:
		return nil, false
	}
	return call, true
}

// generatedMethod reports the Close and CloseContext methods that this run
// generates for t, a client of the package or a pointer to one.
func (c *checker) generatedMethod(t types.Type, name string, addressable bool) (*Call, bool) {
	if name != "Close" && name != "CloseContext" {
		return nil, false
	}
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t, addressable = p.Elem(), true
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || !addressable || n.Obj().Pkg() != c.pkg || !c.clients[n.Origin().Obj().Name()] {
		return nil, false
	}
	if name == "Close" {
		return &Call{Method: name, Err: true}, true
	}
	return &Call{Method: name, Ctx: true, Err: true}, true
}

// methodProblem explains why c.method failed.
func (c *checker) methodProblem(t types.Type, name, tstr string) string {
	obj, _, _ := types.LookupFieldOrMethod(t, true, c.pkg, name)
	switch obj := obj.(type) {
	case *types.Func:
		return fmt.Sprintf("method %s has signature %s, which cannot be called; accepted shapes: %s", name, types.TypeString(obj.Type(), types.RelativeTo(c.pkg)), acceptedShapes)
	case *types.Var:
		return fmt.Sprintf("%s is a field of %s, not a method; name a method with one of the shapes %s", name, tstr, acceptedShapes)
	}
	if _, isEach := t.Underlying().(*types.Slice); isEach {
		return fmt.Sprintf("neither %s nor its elements have a method %s; name a method with one of the shapes %s", tstr, name, acceptedShapes)
	}
	return fmt.Sprintf("%s has no method %s; name a method with one of the shapes %s (//cleanup:close METHOD), or use //cleanup:cancel, //cleanup:wait or //cleanup:nil", tstr, name, acceptedShapes)
}

func (c *checker) elemProblem(elem types.Type, name, estr string, isMap bool) string {
	if isMap {
		if _, ok := c.method(elem, name, true); ok {
			return fmt.Sprintf("%s.%s has a pointer receiver and map elements are not addressable; use a map of *%s", estr, name, estr)
		}
	}
	obj, _, _ := types.LookupFieldOrMethod(elem, true, c.pkg, name)
	if fn, ok := obj.(*types.Func); ok {
		return fmt.Sprintf("the elements' method %s has signature %s, which cannot be called; accepted shapes: %s", name, types.TypeString(fn.Type(), types.RelativeTo(c.pkg)), acceptedShapes)
	}
	return fmt.Sprintf("neither it nor its elements of type %s have a method %s; name a method with one of the shapes %s", estr, name, acceptedShapes)
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isWaitGroup(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync" && n.Obj().Name() == "WaitGroup"
}

func isPointerTo(t types.Type, pred func(types.Type) bool) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && pred(p.Elem())
}

// isReference reports whether a value of type t refers to other memory and can
// be dropped by setting it to its zero value: pointer, interface, map, slice,
// channel or func. Type parameters are not: their zero value is unknown here.
func isReference(t types.Type) bool {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
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

// isNilable reports whether a value of t can be compared with nil and, being
// nil, means there is nothing to close. Slices are excluded: a nil slice of a
// type with a Close method is still closed.
func isNilable(t types.Type) bool {
	return isReference(t) && !isSliceKind(t.Underlying())
}

// needsAddr reports whether a field or element of type t is used through its
// address: values that are not references, so that pointer-receiver methods
// can be called and locks are not copied. Type parameters are used by value.
func needsAddr(t types.Type) bool {
	if _, ok := types.Unalias(t).(*types.TypeParam); ok {
		return false
	}
	return !isReference(t)
}

// names chooses the generated identifiers and reports collisions with the
// package's own declarations and between clients.
func (c *checker) names(p *Package) {
	taken := map[string]string{}
	for _, name := range c.pkg.Scope().Names() {
		obj := c.pkg.Scope().Lookup(name)
		if c.l.inOutput(c.fset, obj.Pos()) {
			continue
		}
		taken[name] = "declared by the package (" + c.where(obj.Pos()) + ")"
	}
	for _, cl := range p.Clients {
		cl.PlanName = "cleanup" + cl.Name
		cl.RefsName = "cleanup" + cl.Name + "Refs"
		for _, n := range []string{cl.PlanName, cl.RefsName} {
			if why, clash := taken[n]; clash {
				c.errorf(cl.Pos, "cleanupgen would declare %s for //cleanup:client %s, but %s is already %s; rename it", n, cl.Name, n, why)
				continue
			}
			taken[n] = "generated for //cleanup:client " + cl.Name
		}
	}
}
