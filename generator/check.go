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

// source is what the checker reads of one package: its files and types,
// whether cleanupgen loaded them or a go/analysis pass did.
type source struct {
	fset     *token.FileSet
	files    []*ast.File // the package's files, the one this run writes included
	pkg      *types.Package
	dir      string
	isOutput func(filename string) bool // the file this run writes: its declarations do not count
}

// sourceOf is the source of a package cleanupgen loaded.
func sourceOf(l *loaded) *source {
	return &source{fset: l.pkg.Fset, files: l.pkg.Syntax, pkg: l.pkg.Types, dir: packageDir(l.pkg), isOutput: l.isOutput}
}

// ownFiles are the files of the package, less the one this run writes.
func (s *source) ownFiles() []*ast.File {
	var out []*ast.File
	for _, f := range s.files {
		if !s.isOutput(s.fset.File(f.FileStart).Name()) {
			out = append(out, f)
		}
	}
	return out
}

// inOutput reports whether pos lies in the file this run writes.
func (s *source) inOutput(pos token.Pos) bool {
	return pos.IsValid() && s.isOutput(s.fset.File(pos).Name())
}

// checker turns one package into the model, collecting diagnostics.
type checker struct {
	src  *source
	fset *token.FileSet
	pkg  *types.Package
	// clients holds the package's //cleanup:client types, whether valid or
	// not, by name: their method= option, "" for Close and CloseContext.
	clients map[string]string
	diags   Diagnostics

	// shared says the file of the client being checked has no build
	// constraint: its generated file is shared by every build
	// configuration.
	shared bool
	// constrainedFiles caches constrained by file name.
	constrainedFiles map[string]bool
}

func (c *checker) errorf(pos token.Pos, format string, args ...any) {
	c.diags = append(c.diags, Diagnostic{Pos: c.fset.Position(pos), Msg: fmt.Sprintf(format, args...)})
}

// check builds the model of one package cleanupgen loaded.
func check(l *loaded) (*Package, Diagnostics) {
	p, _, ds := checkSource(sourceOf(l))
	return p, ds
}

// checkSource builds the model of one package, and returns the walk's type
// declarations with it.
func checkSource(src *source) (*Package, []*TypeDecl, Diagnostics) {
	c := &checker{src: src, fset: src.fset, pkg: src.pkg, clients: map[string]string{}}
	out := &Package{Name: src.pkg.Name(), Path: src.pkg.Path(), Dir: src.dir, Types: src.pkg}
	files := src.ownFiles()
	decls, seen := walkDecls(files, src.pkg, func(pos token.Pos, msg string) { c.errorf(pos, "%s", msg) })
	for _, d := range decls {
		for _, dir := range d.Directives {
			if dir.Verb == "client" {
				c.clients[d.Spec.Name.Name] = dir.Method
			}
		}
	}
	for _, d := range decls {
		if cl := c.client(d); cl != nil {
			out.Clients = append(out.Clients, cl)
		}
	}
	c.strays(files, seen)
	if len(out.Clients) > 0 {
		c.names(out, decls)
	}
	c.diags.sort()
	return out, decls, c.diags
}

// clientNames finds the types with a //cleanup:client directive, without
// type information.
func clientNames(l *loaded) map[string]bool {
	names := map[string]bool{}
	decls, _ := walkDecls(sourceOf(l).ownFiles(), nil, nil)
	for _, d := range decls {
		if d.Client() {
			names[d.Spec.Name.Name] = true
		}
	}
	return names
}

// strays reports the //cleanup: lines that are not the doc or line comment
// of a package-level type or of a field of one: a directive separated from
// its declaration by a blank line, on a var or func, in a function body, or
// in a nested struct type. They would silently do nothing.
func (c *checker) strays(files []*ast.File, seen map[token.Pos]bool) {
	for _, f := range files {
		for _, g := range f.Comments {
			for _, cm := range g.List {
				if seen[cm.Slash] || !IsDirective(cm.Text) {
					continue
				}
				c.errorf(cm.Slash, "%s is not attached to a package-level type or to a field of one, and does nothing; write it in the doc comment (no blank line between) or the line comment of the type or field",
					strings.Fields(cm.Text)[0])
			}
		}
	}
}

// client checks one type declaration and its fields; it returns the client
// when the type is a valid //cleanup:client.
func (c *checker) client(d *TypeDecl) *Client {
	name := d.Spec.Name.Name
	var client *directive
	for i := range d.Directives {
		dir := &d.Directives[i]
		switch {
		case dir.Spec().Target != onType:
			c.errorf(dir.Pos, "//cleanup:%s applies to struct fields, not types; write it on a field of a //cleanup:client struct", dir.Verb)
		case client != nil:
			c.errorf(dir.Pos, "type %s has more than one //cleanup:client directive; keep one", name)
		default:
			client = dir
		}
	}
	if client != nil && d.Struct == nil {
		c.errorf(client.Pos, "//cleanup:client needs a struct type, and %s is not one; declare it as type %s struct{...} with a runtime.Guard field", name, name)
		return nil
	}
	if d.Struct == nil || d.Named == nil {
		return nil
	}
	if client == nil {
		if d.Marked {
			// The type's own //cleanup: line was reported: a malformed
			// //cleanup:client or a near miss of one.
			return nil
		}
		for _, fd := range d.Fields {
			for _, dir := range fd.Directives {
				c.errorf(dir.Pos, "//cleanup:%s on a field of %s, which has no //cleanup:client directive; add //cleanup:client to type %s", dir.Verb, name, name)
			}
		}
		return nil
	}

	cl := &Client{Name: name, Timeout: DefaultTimeout, Pos: client.Pos, Method: client.Method}
	c.shared = !c.constrainedFile(c.fset.Position(d.Spec.Pos()).Filename)
	cl.Shared = c.shared
	if client.Timeout > 0 {
		cl.Timeout = client.Timeout
	}
	if tps := d.Named.TypeParams(); tps != nil {
		for i := range tps.Len() {
			cl.TypeParams = append(cl.TypeParams, tps.At(i))
		}
	}
	ok := c.guard(cl, d, client)
	ok = c.ownMethods(cl, d) && ok

	// The managed fields.
	for _, fd := range d.Fields {
		if fd.Var == nil || len(fd.Directives) == 0 {
			continue
		}
		if len(fd.Directives) > 1 {
			ok = false
			c.errorf(fd.Directives[1].Pos, "field %s has more than one //cleanup: directive; keep one", fd.Var.Name())
			continue
		}
		dir := fd.Directives[0]
		switch {
		case dir.Spec().Target != onField:
			ok = false
			c.errorf(dir.Pos, "//cleanup:%s applies to types, not fields; write it in the doc comment of the struct type", dir.Verb)
		case isGuard(fd.Var.Type()):
			ok = false
			c.errorf(dir.Pos, "//cleanup:%s on the runtime.Guard field %s; the guard is managed by the generated Close, remove the directive", dir.Verb, fd.Var.Name())
		case dir.Verb == "ignore":
		case fd.Var.Name() == "_":
			ok = false
			c.errorf(dir.Pos, "//cleanup:%s on a blank field: a field named _ cannot be read or dropped; give it a name", dir.Verb)
		default:
			ok = c.field(cl, d, fd.Var, dir) && ok
		}
	}
	slices.SortStableFunc(cl.Steps, func(a, b *Step) int { return a.Phase - b.Phase })
	if !ok {
		return nil
	}
	return cl
}

// guard finds the client's one runtime.Guard field.
func (c *checker) guard(cl *Client, d *TypeDecl, client *directive) bool {
	ok := true
	var guards []*FieldDecl
	for _, fd := range d.Fields {
		if fd.Var == nil {
			continue
		}
		t := fd.Var.Type()
		if isGuard(t) {
			guards = append(guards, fd)
			continue
		}
		if ptr, isPtr := t.(*types.Pointer); isPtr && isGuard(ptr.Elem()) {
			ok = false
			if fd.Var.Embedded() {
				c.errorf(fd.Pos, "%s embeds *runtime.Guard by pointer; embed or declare runtime.Guard by value: the zero value is ready and it must not be shared", cl.Name)
			} else {
				c.errorf(fd.Pos, "field %s is a *runtime.Guard; declare it as runtime.Guard by value: the zero value is ready and it must not be shared", fd.Var.Name())
			}
		}
	}
	switch {
	case len(guards) == 1:
		cl.Guard = guards[0].Var.Name()
		if cl.Guard == "_" {
			c.errorf(guards[0].Pos, "the runtime.Guard field of %s is named _, and the generated Close cannot use it; give it a name", cl.Name)
			return false
		}
		cl.Fields = append(cl.Fields, &Field{Name: cl.Guard, Type: guards[0].Var.Type()})
	case len(guards) == 0 && ok:
		ok = false
		c.errorf(client.Pos, "//cleanup:client type %s has no runtime.Guard field; add one, e.g. `guard runtime.Guard` (import %q)", cl.Name, RuntimePath)
	case len(guards) > 1:
		ok = false
		for _, g := range guards[1:] {
			c.errorf(g.Pos, "%s has more than one runtime.Guard field (the first is %s); keep exactly one", cl.Name, guards[0].Var.Name())
		}
	}
	return ok
}

// ownMethods reports a method that the client declares itself and the
// generated file would declare too (Close and CloseContext, or method=), or
// a field of that name: they are the generator's to declare.
func (c *checker) ownMethods(cl *Client, d *TypeDecl) bool {
	ok := true
	names := []string{"Close", "CloseContext"}
	if cl.Method != "" {
		names = []string{cl.Method}
	}
	for _, name := range names {
		for i := range d.Named.NumMethods() {
			m := d.Named.Method(i)
			if m.Name() != name || c.src.inOutput(m.Pos()) {
				continue
			}
			ok = false
			if cl.Method != "" {
				c.errorf(cl.Pos, "%s already declares %s (%s), which cleanupgen generates for //cleanup:client method=%s; remove the method or name another one with method=",
					cl.Name, name, c.where(m.Pos()), cl.Method)
				continue
			}
			c.errorf(cl.Pos, "%s already declares %s (%s), which cleanupgen generates for //cleanup:client; to keep your %s, write //cleanup:client method=NAME, which generates NAME(ctx context.Context) error instead of Close and CloseContext for your %s to call; or remove the method",
				cl.Name, name, c.where(m.Pos()), name, name)
		}
		for _, fd := range d.Fields {
			if fd.Var != nil && fd.Var.Name() == name {
				ok = false
				c.errorf(fd.Pos, "%s has a field named %s, which would clash with the generated method; rename the field", cl.Name, name)
			}
		}
	}
	return ok
}

// where names a position of the package by its file's base name and line:
// the files of a package share a directory.
func (c *checker) where(pos token.Pos) string {
	p := c.fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.Base(p.Filename), p.Line)
}
