package cleanupcheck

import (
	"go/ast"
	"go/types"
	"path/filepath"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/cleanupgen/cleanupgen/generator"
)

// Analyzer reports resources of //cleanup:client structs that no directive
// tears down, directive mistakes, and stale generated files.
var Analyzer = &analysis.Analyzer{
	Name: "cleanupcheck",
	Doc:  doc,
	URL:  "https://pkg.go.dev/github.com/cleanupgen/cleanupgen/analysis/cleanupcheck",
	Run:  run,
	// Before the first generation, code and tests that call the generated
	// Close do not type-check: the analysis reads what does.
	RunDespiteErrors: true,
}

// guardUses turns on the rules on writes without lock= and unguarded
// exported methods (flag -guard, on by default).
var guardUses bool

func init() {
	Analyzer.Flags.BoolVar(&guardUses, "guard", true, "report writes of managed fields without lock= between Enter and Leave, and exported methods that use managed fields without Enter (-guard=false turns them off)")
}

func run(pass *analysis.Pass) (any, error) {
	// Cost on a package without a directive or a generated file: one look
	// at each file's comments, nothing else.
	var files, generated, standIns []*ast.File
	relevant := false
	dir := "" // the package's directory: that of its files without the header
	for _, f := range pass.Files {
		if name := pass.Fset.File(f.FileStart).Name(); !isGenerated(f) && !strings.HasSuffix(name, "_test.go") {
			dir = filepath.Dir(name)
			break
		}
	}
	for _, f := range pass.Files {
		name := pass.Fset.File(f.FileStart).Name()
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		files = append(files, f)
		switch {
		case isGenerated(f) && dir != "" && filepath.Dir(name) != dir:
			// The stand-in of a generated file that cmd/cleanupcheck
			// loads before the first generation: it declares the
			// generated methods, and is no generated file of the package.
			standIns = append(standIns, f)
		case isGenerated(f):
			generated = append(generated, f)
			relevant = true
		case !relevant:
			relevant = hasDirective(f)
		}
	}
	if !relevant {
		return nil, nil
	}
	report, err := generator.Analyze(generator.Source{Fset: pass.Fset, Files: files, Types: pass.Pkg})
	if err != nil {
		return nil, err
	}
	r := newReporter(pass, files)
	fixes := adoptionFixes(pass, report)
	for _, d := range report.Diagnostics {
		r.report(analysis.Diagnostic{Pos: d.Pos, Category: "directive", Message: d.Msg, SuggestedFixes: fixes[d]})
	}

	var clients []*generator.TypeDecl
	for _, d := range report.Decls {
		if d.Client() && d.Struct != nil {
			clients = append(clients, d)
		}
	}
	if len(report.Diagnostics) == 0 {
		stale(pass, r, generated, report, clients)
	}

	facts := scan(pass, files, append(generated, standIns...))
	a := &fieldChecker{pass: pass, r: r, clients: map[string]bool{}, facts: facts, flow: newFlow(pass, facts.funcs), pending: map[*types.Var]string{}}
	for _, d := range clients {
		a.clients[d.Spec.Name.Name] = true
	}
	for _, d := range clients {
		a.client(d)
	}
	checkGuards(pass, r, a, clients)
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

// isGenerated reports whether f starts with cleanupgen's header, above
// the package clause.
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
