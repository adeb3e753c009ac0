package cleanupcheck

import (
	"fmt"
	"go/ast"
	"go/token"
	"strings"

	"golang.org/x/tools/go/analysis"
)

// reporter reports diagnostics, less those that a //nolint comment
// suppresses, as golangci-lint reads it: //nolint, //nolint:all, or a
// //nolint:a,b,... list that names cleanupcheck, optionally followed by
// // and a reason. In the doc or line comment of a struct field it covers
// the field; in the doc comment of a type or function, the declaration;
// anywhere else, its own line.
type reporter struct {
	pass       *analysis.Pass
	suppressed []span
}

type span struct{ pos, end token.Pos }

func newReporter(pass *analysis.Pass, files []*ast.File) *reporter {
	r := &reporter{pass: pass}
	for _, f := range files {
		r.file(f)
	}
	return r
}

func (r *reporter) file(f *ast.File) {
	nolint := map[*ast.CommentGroup]bool{}
	for _, g := range f.Comments {
		for _, c := range g.List {
			if isNolint(c.Text) {
				nolint[g] = true
			}
		}
	}
	if len(nolint) == 0 {
		return
	}
	covered := map[*ast.CommentGroup]bool{}
	cover := func(g *ast.CommentGroup, n ast.Node) {
		if g != nil && nolint[g] {
			covered[g] = true
			r.suppressed = append(r.suppressed, span{n.Pos(), n.End()})
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GenDecl:
			cover(n.Doc, n)
		case *ast.TypeSpec:
			cover(n.Doc, n)
			cover(n.Comment, n)
		case *ast.FuncDecl:
			cover(n.Doc, n)
		case *ast.Field:
			cover(n.Doc, n)
			cover(n.Comment, n)
		}
		return true
	})
	tf := r.pass.Fset.File(f.FileStart)
	for g := range nolint {
		if covered[g] {
			continue
		}
		line := tf.Line(g.Pos())
		end := token.Pos(tf.Base() + tf.Size())
		if line < tf.LineCount() {
			end = tf.LineStart(line + 1)
		}
		r.suppressed = append(r.suppressed, span{tf.LineStart(line), end})
	}
}

// isNolint reports whether a comment's text suppresses cleanupcheck.
func isNolint(text string) bool {
	rest, ok := strings.CutPrefix(text, "//nolint")
	if !ok {
		return false
	}
	rest, _, _ = strings.Cut(rest, "//")
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return true
	}
	names, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return false
	}
	for name := range strings.SplitSeq(names, ",") {
		if name = strings.TrimSpace(name); name == "cleanupcheck" || name == "all" {
			return true
		}
	}
	return false
}

func (r *reporter) report(d analysis.Diagnostic) {
	for _, s := range r.suppressed {
		if s.pos <= d.Pos && d.Pos < s.end {
			return
		}
	}
	r.pass.Report(d)
}

func (r *reporter) reportf(pos token.Pos, format string, args ...any) {
	r.report(analysis.Diagnostic{Pos: pos, Message: fmt.Sprintf(format, args...)})
}
