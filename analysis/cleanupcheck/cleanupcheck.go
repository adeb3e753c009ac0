// Package cleanupcheck defines an Analyzer that finds the resources of
// //cleanup:client structs that nobody tears down.
//
// # Analyzer cleanupcheck
//
// cleanupcheck: report resources of //cleanup:client structs that no directive tears down
//
// A field of a //cleanup:client struct that holds a closable resource and
// carries no //cleanup: directive is left open by the generated Close. The
// analyzer reports, at the field, each one that holds:
//
//   - a value with a Close, Shutdown or Stop method that //cleanup:close can
//     call (in the method set of T or *T, since fields are addressable), or a
//     slice, array or map of such values;
//   - a context.CancelFunc;
//   - a *time.Ticker or *time.Timer;
//   - a sync.WaitGroup or *sync.WaitGroup;
//   - a channel that the package creates with make and stores in that
//     field, by assignment or in a composite literal of the struct.
//
// The runtime.Guard field is never reported, and //cleanup:ignore says on
// purpose that a field is not the client's to tear down. Each report comes
// with a suggested fix that adds the directive as the field's line comment:
// //cleanup:close (//cleanup:close Shutdown force=Close for a type with
// both, //cleanup:close Shutdown or //cleanup:close Stop for a type with
// only that method), //cleanup:cancel or //cleanup:wait.
//
// It also reports what cleanupgen would report, with the same messages,
// since it runs cleanupgen's own parser and checker on the package: unknown
// verbs and options, bad durations, methods that do not exist or cannot be
// called, verbs on field types they cannot serve, a missing runtime.Guard,
// and the rest. And when the package's zz_generated_cleanup.go is missing,
// or differs from what cleanupgen would write now, it reports that at each
// client type; the fix is to run cleanupgen (go generate).
//
// Like cleanupgen, it ignores _test.go files.
package cleanupcheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/generator"
)

const doc = `report resources of //cleanup:client structs that no directive tears down

A field of a //cleanup:client struct that holds a closable resource and
carries no //cleanup: directive is left open by the generated Close.
cleanupcheck reports, at the field, each one that holds a value with a
Close, Shutdown or Stop method (or a slice, array or map of them), a
context.CancelFunc, a *time.Ticker or *time.Timer, a sync.WaitGroup or
*sync.WaitGroup, or a channel that the package makes and stores in that
field. The runtime.Guard field is never reported, and //cleanup:ignore
silences a field on purpose. The suggested fix adds the directive as the
field's line comment.

It also reports the directive mistakes that cleanupgen reports, with the
same messages, and a zz_generated_cleanup.go that is missing or differs from
what cleanupgen would write now (run go generate). _test.go files are
ignored, as cleanupgen ignores them.`

// Analyzer reports resources of //cleanup:client structs that no directive
// tears down, directive mistakes, and stale generated files.
var Analyzer = &analysis.Analyzer{
	Name: "cleanupcheck",
	Doc:  doc,
	URL:  "https://pkg.go.dev/github.com/cleanupgen/cleanupgen/analysis/cleanupcheck",
	Run:  run,
}

func run(pass *analysis.Pass) (any, error) {
	var files []*ast.File
	relevant := false
	for _, f := range pass.Files {
		name := pass.Fset.File(f.FileStart).Name()
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		files = append(files, f)
		relevant = relevant || filepath.Base(name) == generator.DefaultOutput || hasDirective(f)
	}
	if !relevant {
		return nil, nil
	}
	report, err := generator.Analyze(generator.Source{Fset: pass.Fset, Files: files, Types: pass.Pkg})
	if err != nil {
		return nil, err
	}
	for _, d := range report.Diagnostics {
		pass.Report(analysis.Diagnostic{Pos: d.Pos, Category: "directive", Message: d.Msg})
	}

	var clients []*generator.TypeDecl
	for _, d := range report.Decls {
		if d.Client() && d.Struct != nil {
			clients = append(clients, d)
		}
	}
	if len(report.Diagnostics) == 0 {
		stale(pass, files, report, clients)
	}

	a := &fieldChecker{pass: pass, clients: map[string]bool{}, made: madeChans(pass, files)}
	for _, d := range clients {
		a.clients[d.Spec.Name.Name] = true
	}
	for _, d := range clients {
		a.client(d)
	}
	return nil, nil
}

// hasDirective reports whether f has a //cleanup: comment line.
func hasDirective(f *ast.File) bool {
	for _, g := range f.Comments {
		for _, c := range g.List {
			if generator.IsDirective(c.Text) {
				return true
			}
		}
	}
	return false
}

// stale reports a generated file that is missing, differs from what
// cleanupgen would write now, or has no client left to serve.
func stale(pass *analysis.Pass, files []*ast.File, report *generator.Report, clients []*generator.TypeDecl) {
	var output *ast.File
	for _, f := range files {
		if pass.Fset.File(f.FileStart).Name() == report.Output {
			output = f
		}
	}
	base := filepath.Base(report.Output)
	if report.Want == nil {
		if output != nil && isGenerated(output) {
			pass.Reportf(output.Package, "%s is stale: the package has no //cleanup:client any more; run cleanupgen (go generate) to remove it", base)
		}
		return
	}
	var problem string
	if output == nil {
		problem = "is missing"
	} else if got, err := pass.ReadFile(report.Output); err != nil {
		problem = fmt.Sprintf("cannot be read (%v)", err)
	} else if !bytes.Equal(got, report.Want) {
		problem = "is stale: it differs from what cleanupgen writes now"
	} else {
		return
	}
	for _, d := range clients {
		pass.Reportf(d.Spec.Name.Pos(), "%s %s for //cleanup:client %s; run cleanupgen (go generate)", base, problem, d.Spec.Name.Name)
	}
}

func isGenerated(f *ast.File) bool {
	for _, g := range f.Comments {
		if g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			if c.Text == generator.Header {
				return true
			}
		}
	}
	return false
}

// fieldChecker reports the fields of clients that hold a resource and carry
// no directive.
type fieldChecker struct {
	pass    *analysis.Pass
	clients map[string]bool     // the package's client types: they get a generated Close
	made    map[*types.Var]bool // chan fields the package stores a make(chan) in
}

func (a *fieldChecker) client(d *generator.TypeDecl) {
	name := d.Spec.Name.Name
	for _, fd := range d.Fields {
		v := fd.Var
		if v == nil || fd.Marked || generator.IsGuard(v.Type()) {
			continue
		}
		what, fix, ok := a.resource(v)
		if !ok {
			continue
		}
		diag := analysis.Diagnostic{
			Pos:      fd.Pos,
			End:      fd.Field.Type.End(),
			Category: "resource",
			Message: fmt.Sprintf("field %s of %s holds a resource (%s) that no //cleanup: directive tears down; %s, or //cleanup:ignore if %s does not own it",
				v.Name(), name, what, advice(v.Type(), fix), name),
		}
		if fix != "" && fd.NameIndex == 0 {
			diag.SuggestedFixes = a.fix(d, fd.Index, fix)
		}
		a.pass.Report(diag)
	}
}

// advice says how to tear down a field of type t: add fix, or, when no
// directive fits, what to do instead.
func advice(t types.Type, fix string) string {
	if fix != "" {
		return "add " + fix
	}
	if _, ok := t.Underlying().(*types.Chan); ok {
		return "no step can wait for a send-only channel: declare it receivable and add //cleanup:wait, or drop it with //cleanup:nil"
	}
	// *time.Timer: its Stop returns a bool.
	return "//cleanup:close cannot call a Stop that returns a bool: hold the timer in a type whose Stop() returns nothing and close that, or drop it with //cleanup:nil"
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

// resource says what kind of resource field v holds and which directive
// tears it down ("" when none can), or ok false when it holds none.
func (a *fieldChecker) resource(v *types.Var) (what, fix string, ok bool) {
	t := v.Type()
	tstr := types.TypeString(t, func(p *types.Package) string {
		if p == a.pass.Pkg {
			return ""
		}
		return p.Name()
	})
	if isNamed(t, "context", "") && isFuncNoArgs(t) {
		return tstr, "//cleanup:cancel", true
	}
	if isNamed(t, "time", "Ticker") || isNamed(t, "time", "Timer") || isPointerTo(t, "time", "Ticker") || isPointerTo(t, "time", "Timer") {
		if generator.Callable(a.pass.Fset, a.pass.Pkg, t, "Stop", true) {
			return tstr, "//cleanup:close Stop", true
		}
		return tstr, "", true
	}
	if isNamed(t, "sync", "WaitGroup") || isPointerTo(t, "sync", "WaitGroup") {
		return tstr, "//cleanup:wait", true
	}
	if fix, ok := a.closer(t, true); ok {
		return tstr + " has " + methodsOf(fix), fix, true
	}
	switch u := t.Underlying().(type) {
	case *types.Slice:
		if fix, ok := a.closer(u.Elem(), true); ok {
			return "elements with " + methodsOf(fix), fix, true
		}
	case *types.Array:
		if fix, ok := a.closer(u.Elem(), true); ok {
			return "elements with " + methodsOf(fix), fix, true
		}
	case *types.Map:
		if fix, ok := a.closer(u.Elem(), false); ok {
			return "values with " + methodsOf(fix), fix, true
		}
	case *types.Chan:
		if a.made[v.Origin()] {
			if u.Dir() == types.SendOnly {
				return "a send-only channel the package makes", "", true
			}
			return "a channel the package makes", "//cleanup:wait", true
		}
	}
	return "", "", false
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
	closeOK, shutdown := has("Close"), has("Shutdown")
	switch {
	case closeOK && shutdown:
		return "//cleanup:close Shutdown force=Close", true
	case closeOK:
		return "//cleanup:close", true
	case shutdown:
		return "//cleanup:close Shutdown", true
	case has("Stop"):
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

// madeChans finds the struct fields of the package's types in which the
// package stores a channel it makes: x.f = make(chan T), or T{f: make(chan
// T)} and its positional form.
func madeChans(pass *analysis.Pass, files []*ast.File) map[*types.Var]bool {
	made := map[*types.Var]bool{}
	mark := func(obj types.Object) {
		if v, ok := obj.(*types.Var); ok && v.IsField() && v.Pkg() == pass.Pkg {
			made[v.Origin()] = true
		}
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Lhs) != len(n.Rhs) {
					return true
				}
				for i, lhs := range n.Lhs {
					sel, ok := ast.Unparen(lhs).(*ast.SelectorExpr)
					if !ok || !isMakeChan(pass, n.Rhs[i]) {
						continue
					}
					if s := pass.TypesInfo.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
						mark(s.Obj())
					}
				}
			case *ast.CompositeLit:
				st, ok := typeOf(pass, n).(*types.Struct)
				if !ok {
					return true
				}
				for i, elt := range n.Elts {
					if kv, ok := elt.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok && isMakeChan(pass, kv.Value) {
							mark(pass.TypesInfo.Uses[id])
						}
					} else if i < st.NumFields() && isMakeChan(pass, elt) {
						mark(st.Field(i))
					}
				}
			}
			return true
		})
	}
	return made
}

func typeOf(pass *analysis.Pass, e ast.Expr) types.Type {
	t := pass.TypesInfo.TypeOf(e)
	if t == nil {
		return nil
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	return t.Underlying()
}

func isMakeChan(pass *analysis.Pass, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	if b, ok := pass.TypesInfo.Uses[id].(*types.Builtin); !ok || b.Name() != "make" {
		return false
	}
	_, isChan := pass.TypesInfo.TypeOf(call).Underlying().(*types.Chan)
	return isChan
}
