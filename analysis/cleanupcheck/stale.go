package cleanupcheck

import (
	"fmt"
	"go/ast"
	"go/token"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/generator"
)

// The categories of the findings on generated files. golangci-lint and
// go vet -json show them; a team can filter on them.
const (
	categoryStale   = "stale"   // the file differs from what cleanupgen writes now, or serves no client
	categoryMissing = "missing" // the package has clients and no generated file
)

// stale reports a generated file that is missing, differs from what
// cleanupgen would write now, or has no client left to serve. A generated
// file is one with cleanupgen's header, whatever its name (cleanupgen
// -output NAME): the default name when there is one, else the only one.
//
// Every finding is reported in a file the user wrote, never in the
// generated file itself: golangci-lint drops findings in generated files,
// and the user's fix is in the source (or in running cleanupgen) anyway.
// A file that differs gets a fix that replaces it with what cleanupgen
// writes now. A missing file gets none: a go/analysis fix edits files
// that exist (every driver reads the file an edit names before it
// applies the edit), so cleanupgen has to write it. A file with no client
// left gets none either: a fix cannot delete a file, and an empty file
// does not compile.
func stale(pass *analysis.Pass, r *reporter, generated []*ast.File, report *generator.Report, clients []*generator.TypeDecl) {
	var output *ast.File
	for _, f := range generated {
		if pass.Fset.File(f.FileStart).Name() == report.Output {
			output = f
		}
	}
	if output == nil && len(generated) == 1 {
		output = generated[0]
	}
	if report.Want == nil {
		if len(generated) == 0 {
			return
		}
		pos := packageClause(pass, generated)
		for _, f := range generated {
			if len(f.Decls) == 0 {
				// Emptied by cleanupgen under go generate, which fails
				// when a file it listed is removed; cleanupgen -check
				// accepts it, and it declares nothing that could go stale.
				continue
			}
			r.report(analysis.Diagnostic{
				Pos:      pos,
				Category: categoryStale,
				Message:  fmt.Sprintf("%s is stale: the package has no //cleanup:client any more; run cleanupgen (go generate) to remove it", filepath.Base(pass.Fset.File(f.FileStart).Name())),
			})
		}
		return
	}
	if output == nil && len(generated) > 1 {
		return // several generated files (-output and build configurations): cleanupgen -check tells
	}
	base := filepath.Base(report.Output)
	category := categoryStale
	var problem string
	var fixes []analysis.SuggestedFix
	if output == nil {
		category, problem = categoryMissing, "is missing"
	} else {
		path := pass.Fset.File(output.FileStart).Name()
		base = filepath.Base(path)
		got, err := pass.ReadFile(path)
		switch {
		case err != nil:
			problem = fmt.Sprintf("cannot be read (%v)", err)
		case !generator.SameGenerated(got, report.Want):
			problem = "is stale: it differs from what cleanupgen writes now"
			fixes = []analysis.SuggestedFix{regenerate(pass.Fset, path, got, report.Want)}
		default:
			return
		}
	}
	for _, d := range clients {
		r.report(analysis.Diagnostic{
			Pos:            d.Spec.Name.Pos(),
			Category:       category,
			Message:        fmt.Sprintf("%s %s for //cleanup:client %s; run cleanupgen (go generate)", base, problem, d.Spec.Name.Name),
			SuggestedFixes: fixes,
		})
	}
}

// regenerate returns the fix that replaces the generated file at path,
// whose bytes are got, with want.
//
// Drivers skip a fix that edits a generated file of the package (one that
// ast.IsGenerated recognises), and they recognise it by the *token.File of
// the edit. Replacing cleanupgen's output with what cleanupgen writes now
// is the one edit of that file that is right, so the edit is made against
// a token.File of its own, with the file's name and size: drivers apply an
// edit by file name, to the bytes they read from disk, after checking that
// the size still matches.
func regenerate(fset *token.FileSet, path string, got, want []byte) analysis.SuggestedFix {
	tf := fset.AddFile(path, -1, len(got))
	tf.SetLinesForContent(got)
	return analysis.SuggestedFix{
		Message: "Regenerate " + filepath.Base(path) + " as cleanupgen would",
		TextEdits: []analysis.TextEdit{{
			Pos:     tf.Pos(0),
			End:     tf.Pos(len(got)),
			NewText: want,
		}},
	}
}

// packageClause is where a finding about the package as a whole goes: the
// package clause of its documented source file, else of its first source
// file. Only when the package has no file but generated ones is it the
// first generated file's.
func packageClause(pass *analysis.Pass, generated []*ast.File) token.Pos {
	var first *ast.File
	for _, f := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(f.FileStart).Name(), "_test.go") || isGenerated(f) {
			continue
		}
		if f.Doc != nil {
			return f.Package
		}
		if first == nil {
			first = f
		}
	}
	if first != nil {
		return first.Package
	}
	return generated[0].Package
}
