package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// TypeDecl is one package-level type declaration as the one walk over a
// package sees it: the //cleanup: directives of its comments, parsed once,
// and, for a struct, its fields paired with their types.Var. The checker
// builds the model from it and the cleanupcheck analyzer reads it.
type TypeDecl struct {
	Spec       *ast.TypeSpec
	Struct     *ast.StructType // nil unless Spec declares a struct type (not an alias)
	Named      *types.Named    // nil when the package is not type-checked
	Directives []directive     // the well-formed //cleanup: lines of its comments
	Fields     []*FieldDecl    // one per declared name; one for an embedded field
	// Marked says the type's comments carry a //cleanup: line, well-formed
	// or not, or a near miss of one: a type whose //cleanup:client was
	// reported as malformed is not reported again for lacking one.
	Marked bool
}

// Client reports whether the declaration carries a //cleanup:client
// directive, whether or not it is a valid client.
func (d *TypeDecl) Client() bool {
	for _, dir := range d.Directives {
		if dir.Verb == "client" {
			return true
		}
	}
	return false
}

// FieldDecl is one field of a struct TypeDecl.
type FieldDecl struct {
	Field      *ast.Field
	Index      int        // Field's index in the struct's field list
	NameIndex  int        // the name's index in Field.Names; 0 for an embedded field
	Var        *types.Var // nil when the package is not type-checked
	Pos        token.Pos  // the name, or the type of an embedded field
	Directives []directive
	// Marked says the field carries a //cleanup: line, well-formed or
	// not, or a near miss of one.
	Marked bool
}

// walker collects the type declarations of a package's files and the
// mistakes in their directives.
type walker struct {
	pkg    *types.Package // nil: fields are not paired with vars
	report func(pos token.Pos, msg string)
	seen   map[token.Pos]bool // comments read as the doc or line comment of a type or field
}

// walkDecls is the one walk over the package-level type declarations of
// files, in source order. report, when not nil, is told each malformed
// directive and each near miss (a comment that looks like a directive and
// is not one); seen holds the comments the walk has read, so that the
// caller can find the directives attached to nothing.
func walkDecls(files []*ast.File, pkg *types.Package, report func(pos token.Pos, msg string)) (decls []*TypeDecl, seen map[token.Pos]bool) {
	w := &walker{pkg: pkg, report: report, seen: map[token.Pos]bool{}}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				decls = append(decls, w.typeDecl(gd, spec.(*ast.TypeSpec)))
			}
		}
	}
	return decls, w.seen
}

func (w *walker) errorf(pos token.Pos, format string, args ...any) {
	if w.report != nil {
		w.report(pos, fmt.Sprintf(format, args...))
	}
}

func (w *walker) typeDecl(gd *ast.GenDecl, ts *ast.TypeSpec) *TypeDecl {
	// gd's doc comment applies when gd declares ts alone.
	groups := []*ast.CommentGroup{ts.Doc, ts.Comment}
	if gd.Lparen == token.NoPos {
		groups = append([]*ast.CommentGroup{gd.Doc}, groups...)
	}
	d := &TypeDecl{Spec: ts}
	d.Directives, d.Marked = w.directives(groups...)
	st, isStruct := ts.Type.(*ast.StructType)
	if !isStruct || ts.Assign.IsValid() {
		return d
	}
	d.Struct = st
	var tstruct *types.Struct
	if w.pkg != nil {
		if obj, _ := w.pkg.Scope().Lookup(ts.Name.Name).(*types.TypeName); obj != nil && obj.Pos() == ts.Name.Pos() {
			d.Named, _ = obj.Type().(*types.Named)
			if d.Named != nil {
				tstruct, _ = d.Named.Underlying().(*types.Struct)
			}
		}
	}
	// A field with n names declares n vars.
	vi := 0
	for i, f := range st.Fields.List {
		ds, marked := w.directives(f.Doc, f.Comment)
		for k := range max(len(f.Names), 1) {
			fd := &FieldDecl{Field: f, Index: i, NameIndex: k, Pos: f.Type.Pos(), Directives: ds, Marked: marked}
			if len(f.Names) > 0 {
				fd.Pos = f.Names[k].Pos()
			}
			if tstruct != nil && vi < tstruct.NumFields() {
				fd.Var = tstruct.Field(vi)
			}
			vi++
			d.Fields = append(d.Fields, fd)
		}
	}
	return d
}

// directives parses the //cleanup: lines of the comment groups, reporting
// malformed ones and near misses. marked says some line is a //cleanup: line,
// well-formed or not, or a near miss.
func (w *walker) directives(groups ...*ast.CommentGroup) (out []directive, marked bool) {
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, cm := range g.List {
			if w.seen[cm.Slash] {
				continue
			}
			w.seen[cm.Slash] = true
			d, ok, err := parseDirective(cm.Slash, cm.Text)
			if !ok {
				if want, near := NearMiss(cm.Text); near {
					marked = true
					w.errorf(cm.Slash, "%s is not a directive and does nothing; write %s (no space or + after //, lower case, a // line)",
						firstLine(withoutComment(cm.Text)), want)
				}
				continue
			}
			marked = true
			if err != nil {
				de := err.(*directiveError)
				w.errorf(de.Pos, "%s", de.Msg)
				continue
			}
			out = append(out, d)
		}
	}
	return out, marked
}

func firstLine(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	return strings.TrimSpace(line)
}
