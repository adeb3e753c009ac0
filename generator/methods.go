package generator

import (
	"fmt"
	"go/token"
	"go/types"
)

// This file holds the method shapes: which methods a step can call, and
// what to say when it cannot.

const acceptedShapes = "M(), M() error, M() bool, M(context.Context), M(context.Context) error or M(context.Context) bool"

// method finds a callable teardown method named name on values of type t.
// addressable says whether the value can have its address taken.
func (c *checker) method(t types.Type, name string, addressable bool) (*Call, bool) {
	if call, ok := c.generatedMethod(t, name, addressable); ok {
		return call, true
	}
	obj, _, _ := types.LookupFieldOrMethod(t, addressable, c.pkg, name)
	fn, ok := obj.(*types.Func)
	if !ok || (c.src != nil && c.src.inOutput(fn.Pos())) {
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
		rt := sig.Results().At(0).Type()
		switch {
		case types.Identical(rt, types.Universe.Lookup("error").Type()):
			call.Err = true
		case isBool(rt):
			// (*time.Timer).Stop: whether it stopped the timer says
			// nothing about a failure.
			call.Result = true
		default:
			return nil, false
		}
	default:
		return nil, false
	}
	return call, true
}

// generatedMethod reports the methods that this run generates for t, a
// client of the package or a pointer to one: Close and CloseContext, or the
// method= of its //cleanup:client.
func (c *checker) generatedMethod(t types.Type, name string, addressable bool) (*Call, bool) {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t, addressable = p.Elem(), true
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || !addressable || n.Obj().Pkg() != c.pkg {
		return nil, false
	}
	method, ok := c.clients[n.Origin().Obj().Name()]
	switch {
	case !ok:
		return nil, false
	case method != "":
		if name == method {
			return &Call{Method: name, Ctx: true, Err: true}, true
		}
		return nil, false
	case name == "Close":
		return &Call{Method: name, Err: true}, true
	case name == "CloseContext":
		return &Call{Method: name, Ctx: true, Err: true}, true
	}
	return nil, false
}

// clientMethod is the method= of t's //cleanup:client when t is a client of
// the package, or a pointer to one, with that option; "" otherwise.
func (c *checker) clientMethod(t types.Type) string {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() != c.pkg {
		return ""
	}
	return c.clients[n.Origin().Obj().Name()]
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
	if _, isChan := t.Underlying().(*types.Chan); isChan {
		return fmt.Sprintf("%s has no method %s; write //cleanup:close without a method to close the channel", tstr, name)
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

// Callable reports whether a //cleanup:close step can call the method name on
// a value of type t declared in pkg, as cleanupgen checks it: the method
// exists and has one of the shapes M(), M() error, M() bool,
// M(context.Context), M(context.Context) error or M(context.Context) bool. addressable says whether the value can have its
// address taken (a struct field or slice element can, a map element cannot).
func Callable(fset *token.FileSet, pkg *types.Package, t types.Type, name string, addressable bool) bool {
	c := &checker{fset: fset, pkg: pkg}
	_, ok := c.method(t, name, addressable)
	return ok
}

// IsGuard reports whether t is runtime.Guard.
func IsGuard(t types.Type) bool { return isGuard(t) }

func isGuard(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Name() == "Guard" && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == RuntimePath
}

func isBool(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Kind() == types.Bool && !isTypeParam(t)
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

func isWaitGroup(t types.Type) bool { return isSyncType(t, "WaitGroup") }

func isSyncType(t types.Type, name string) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync" && n.Obj().Name() == name
}

func isPointerTo(t types.Type, pred func(types.Type) bool) bool {
	p, ok := types.Unalias(t).(*types.Pointer)
	return ok && pred(p.Elem())
}
