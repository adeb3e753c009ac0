package cleanupcheck

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/generator"
)

// This file holds the fixes of cleanupgen's own diagnostics that stand
// between a struct marked //cleanup:client alone and a client that
// generates: the runtime.Guard field it lacks, and the method= option for
// a type whose Close is its own.

// guardName is the name of the runtime.Guard field that the fix adds to a
// client without one.
func guardName(d *generator.TypeDecl) string {
	taken := map[string]bool{}
	for _, fd := range d.Fields {
		if fd.Var != nil {
			taken[fd.Var.Name()] = true
		}
	}
	if d.Named != nil {
		for i := range d.Named.NumMethods() {
			taken[d.Named.Method(i).Name()] = true
		}
	}
	for _, name := range []string{"guard", "cleanupGuard", "closeGuard"} {
		if !taken[name] {
			return name
		}
	}
	return ""
}

// missingGuard reports whether client d has no runtime.Guard field.
func missingGuard(d *generator.TypeDecl) bool {
	for _, fd := range d.Fields {
		if fd.Var == nil {
			return false // not type-checked: cleanupgen says what is wrong
		}
		t := fd.Var.Type()
		if generator.IsGuard(t) {
			return false
		}
		if p, ok := types.Unalias(t).(*types.Pointer); ok && generator.IsGuard(p.Elem()) {
			return false
		}
	}
	return true
}

// adoptionFixes attaches fixes to cleanupgen's diagnostics of the
// package's clients: the missing runtime.Guard field (added first in the
// struct, and its import), and a Close of the type's own (method=NAME on
// //cleanup:client, and a Close that calls NAME).
func adoptionFixes(pass *analysis.Pass, report *generator.Report) map[generator.PosDiagnostic][]analysis.SuggestedFix {
	out := map[generator.PosDiagnostic][]analysis.SuggestedFix{}
	for _, d := range report.Decls {
		if !d.Client() || d.Struct == nil {
			continue
		}
		var client *ast.Comment
		for _, dir := range d.Directives {
			if dir.Verb == "client" {
				client = typeComment(pass, d, dir.Pos)
			}
		}
		if client == nil {
			continue
		}
		for _, diag := range report.Diagnostics {
			switch {
			case diag.Pos == client.Slash && strings.Contains(diag.Msg, "has no runtime.Guard field") && missingGuard(d):
				if fix, ok := addGuard(pass, d); ok {
					out[diag] = []analysis.SuggestedFix{fix}
				}
			case strings.Contains(diag.Msg, "already declares Close (") && strings.HasPrefix(diag.Msg, d.Spec.Name.Name+" "):
				if fix, ok := ownClose(pass, d, client); ok {
					out[diag] = []analysis.SuggestedFix{fix}
				}
			}
		}
	}
	return out
}

// typeComment returns the comment of d's declaration that starts at pos.
func typeComment(pass *analysis.Pass, d *generator.TypeDecl, pos token.Pos) *ast.Comment {
	for _, f := range pass.Files {
		if f.FileStart > pos || pos > f.FileEnd {
			continue
		}
		for _, g := range f.Comments {
			for _, c := range g.List {
				if c.Slash == pos {
					return c
				}
			}
		}
	}
	return nil
}

// fileOf returns the file of the package that holds pos.
func fileOf(pass *analysis.Pass, pos token.Pos) *ast.File {
	for _, f := range pass.Files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

// addGuard is the fix that declares the guard first in d's struct.
func addGuard(pass *analysis.Pass, d *generator.TypeDecl) (analysis.SuggestedFix, bool) {
	name := guardName(d)
	f := fileOf(pass, d.Struct.Pos())
	if name == "" || f == nil {
		return analysis.SuggestedFix{}, false
	}
	pkgName, edits := importName(pass, f, generator.RuntimePath, "runtime")
	text := fmt.Sprintf("\n\t%s %s.Guard\n", name, pkgName)
	if len(d.Struct.Fields.List) == 0 {
		text = fmt.Sprintf("\n\t%s %s.Guard\n", name, pkgName)
	}
	pos := d.Struct.Fields.Opening + 1
	edits = append(edits, analysis.TextEdit{Pos: pos, End: pos, NewText: []byte(text)})
	return analysis.SuggestedFix{Message: "add the field " + name + " " + pkgName + ".Guard", TextEdits: edits}, true
}

// importName returns the name under which file f refers to the package at
// path, and the edit that imports it when f does not yet.
func importName(pass *analysis.Pass, f *ast.File, path, name string) (string, []analysis.TextEdit) {
	taken := map[string]bool{}
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		local := ""
		if imp.Name != nil {
			local = imp.Name.Name
		} else if pkg := importedPackage(pass, p); pkg != nil {
			local = pkg.Name()
		} else {
			local = p[strings.LastIndex(p, "/")+1:]
		}
		if p == path && local != "_" && local != "." {
			return local, nil
		}
		taken[local] = true
	}
	spec := strconv.Quote(path)
	if taken[name] {
		name = "cleanup" + name
		spec = name + " " + spec
	}
	// A standard package joins the first group; another the last group,
	// or a group of its own after the standard ones.
	std := !strings.Contains(strings.Split(path, "/")[0], ".")
	others := false
	for _, imp := range f.Imports {
		p, _ := strconv.Unquote(imp.Path.Value)
		others = others || strings.Contains(strings.Split(p, "/")[0], ".")
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		if gd.Lparen.IsValid() {
			switch {
			case std:
				pos := gd.Lparen + 1
				return name, []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte("\n\t" + spec)}}
			case others:
				return name, []analysis.TextEdit{{Pos: gd.Rparen, End: gd.Rparen, NewText: []byte("\t" + spec + "\n")}}
			}
			return name, []analysis.TextEdit{{Pos: gd.Rparen, End: gd.Rparen, NewText: []byte("\n\t" + spec + "\n")}}
		}
		pos := gd.End()
		return name, []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte("\n\nimport " + spec)}}
	}
	pos := f.Name.End()
	return name, []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte("\n\nimport " + spec)}}
}

func importedPackage(pass *analysis.Pass, path string) *types.Package {
	for _, p := range pass.Pkg.Imports() {
		if p.Path() == path {
			return p
		}
	}
	return nil
}

// ownClose is the fix for a client whose type declares a Close of its own:
// //cleanup:client method=NAME generates NAME(ctx) error instead of Close
// and CloseContext, and the type's Close calls it. Close's old body is
// what the directives now do, under a deadline.
func ownClose(pass *analysis.Pass, d *generator.TypeDecl, client *ast.Comment) (analysis.SuggestedFix, bool) {
	if d.Named == nil {
		return analysis.SuggestedFix{}, false
	}
	taken := map[string]bool{}
	for i := range d.Named.NumMethods() {
		taken[d.Named.Method(i).Name()] = true
	}
	for _, fd := range d.Fields {
		if fd.Var != nil {
			taken[fd.Var.Name()] = true
		}
	}
	method := ""
	for _, name := range []string{"closeContext", "closeWithContext", "cleanupClose"} {
		if !taken[name] {
			method = name
			break
		}
	}
	if method == "" {
		return analysis.SuggestedFix{}, false
	}
	var decl *ast.FuncDecl
	for _, f := range pass.Files {
		for _, dd := range f.Decls {
			fd, ok := dd.(*ast.FuncDecl)
			if !ok || fd.Recv == nil || fd.Name.Name != "Close" || fd.Body == nil {
				continue
			}
			if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
				if recv := fn.Type().(*types.Signature).Recv(); recv != nil && sameNamed(recv.Type(), d.Named) {
					decl = fd
				}
			}
		}
	}
	if decl == nil || len(decl.Recv.List[0].Names) == 0 || decl.Recv.List[0].Names[0].Name == "_" {
		return analysis.SuggestedFix{}, false
	}
	if _, isPtr := types.Unalias(pass.TypesInfo.TypeOf(decl.Recv.List[0].Type)).(*types.Pointer); !isPtr {
		return analysis.SuggestedFix{}, false
	}
	recv := decl.Recv.List[0].Names[0].Name
	sig := pass.TypesInfo.Defs[decl.Name].Type().(*types.Signature)
	f := fileOf(pass, decl.Pos())
	ctxName, edits := importName(pass, f, "context", "context")
	call := fmt.Sprintf("%s.%s(%s.Background())", recv, method, ctxName)
	var body string
	switch {
	case sig.Results().Len() == 0:
		body = "_ = " + call
	case sig.Results().Len() == 1 && types.Identical(sig.Results().At(0).Type(), types.Universe.Lookup("error").Type()):
		body = "return " + call
	default:
		return analysis.SuggestedFix{}, false
	}
	end := directiveEnd(client)
	edits = append(edits,
		analysis.TextEdit{Pos: end, End: end, NewText: []byte(" method=" + method)},
		analysis.TextEdit{Pos: decl.Body.Lbrace + 1, End: decl.Body.Rbrace, NewText: []byte("\n\t" + body + "\n")},
	)
	return analysis.SuggestedFix{
		Message:   fmt.Sprintf("generate %s(ctx) error with method=%s and make Close call it", method, method),
		TextEdits: edits,
	}, true
}

func sameNamed(t types.Type, n *types.Named) bool {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		t = p.Elem()
	}
	tn, ok := types.Unalias(t).(*types.Named)
	return ok && tn.Origin().Obj() == n.Origin().Obj()
}
