package generator

import (
	"fmt"
	"go/ast"
	"go/build/constraint"
	"path/filepath"
	"strings"
)

// This file decides which generated file a client goes to, so that the
// generated code is compiled exactly when the struct it serves is.
//
// For the base name B (zz_generated_cleanup, or -output without .go):
//
//	B.go          clients of the package's unconstrained files
//	B_test.go     clients of its unconstrained _test.go files (package p)
//	B_x_test.go   clients of its external test package (package p_test)
//	B_F.go        clients of F.go, a file with a build constraint: a
//	              //go:build line (copied into B_F.go) or a _GOOS, _GOARCH
//	              or _GOOS_GOARCH file name (which B_F.go repeats)
//
// When B_F.go would not carry F.go's name constraint as the go command reads
// it (F is linux.go, say, which is not constrained while B_linux.go is), the
// file is named B-F'.go instead, F' being F's name with _ replaced by -
// (_test kept), and its //go:build line spells out F.go's name constraint.

// knownOS and knownArch are the file name suffixes the go command reads as
// constraints (go/build's internal/syslist).
var knownOS = setOf("aix", "android", "darwin", "dragonfly", "freebsd", "hurd", "illumos", "ios", "js",
	"linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "wasip1", "windows", "zos")

var knownArch = setOf("386", "amd64", "amd64p32", "arm", "armbe", "arm64", "arm64be", "loong64", "mips",
	"mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le", "ppc", "ppc64", "ppc64le", "riscv",
	"riscv64", "s390", "s390x", "sparc", "sparc64", "wasm")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// nameTags returns the GOOS and GOARCH tags a file name implies, as
// go/build's goodOSArchFile reads them: "" when it implies none.
func nameTags(name string) (goos, goarch string) {
	name, _, _ = strings.Cut(filepath.Base(name), ".")
	i := strings.Index(name, "_")
	if i < 0 {
		return "", ""
	}
	l := strings.Split(name[i:], "_")
	if n := len(l); n > 0 && l[n-1] == "test" {
		l = l[:n-1]
	}
	n := len(l)
	switch {
	case n >= 2 && knownOS[l[n-2]] && knownArch[l[n-1]]:
		return l[n-2], l[n-1]
	case n >= 1 && knownOS[l[n-1]]:
		return l[n-1], ""
	case n >= 1 && knownArch[l[n-1]]:
		return "", l[n-1]
	}
	return "", ""
}

func isTestFile(name string) bool { return strings.HasSuffix(filepath.Base(name), "_test.go") }

// buildLine returns the //go:build line of f, or "" when it has none. A file
// with only // +build lines gets the equivalent //go:build line.
func buildLine(f *ast.File) string {
	var plus []constraint.Expr
	for _, g := range f.Comments {
		if g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			if constraint.IsGoBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					return "//go:build " + x.String()
				}
				return strings.TrimSpace(c.Text)
			}
			if constraint.IsPlusBuild(c.Text) {
				if x, err := constraint.Parse(c.Text); err == nil {
					plus = append(plus, x)
				}
			}
		}
	}
	if len(plus) == 0 {
		return ""
	}
	x := plus[0]
	for _, y := range plus[1:] {
		x = &constraint.AndExpr{X: x, Y: y}
	}
	return "//go:build " + x.String()
}

// outputFor returns the name of the generated file that cleanupgen writes,
// with the default output name, for the clients declared in f, the file
// named filename, and the //go:build line that file carries ("" for none).
// xtest says f belongs to an external test package (package p_test).
func outputFor(filename string, f *ast.File, xtest bool) (name, build string) {
	return newOutputNames(DefaultOutput).output(filename, buildLine(f), xtest)
}

// outputNames names the generated files of a run.
type outputNames struct {
	base string // the default output's name without .go
}

func newOutputNames(output string) outputNames {
	return outputNames{base: strings.TrimSuffix(output, ".go")}
}

// checkOutputName reports why name cannot be the generated file's name.
func checkOutputName(name string) error {
	switch {
	case !strings.HasSuffix(name, ".go") || name == ".go":
		return fmt.Errorf("-output %s: the generated file's name must end in .go", name)
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
		return fmt.Errorf("-output %s: the go command ignores files whose names start with . or _", name)
	case isTestFile(name):
		return fmt.Errorf("-output %s: a _test.go file is compiled only with the tests; clients in _test.go files get %s_test.go on their own", name, strings.TrimSuffix(name, ".go"))
	}
	if goos, goarch := nameTags(name); goos != "" || goarch != "" {
		return fmt.Errorf("-output %s: the name carries a build constraint (%s); choose one without a _GOOS or _GOARCH suffix", name, strings.Trim(goos+" "+goarch, " "))
	}
	return nil
}

// defaults are the names of the unconstrained outputs.
func (n outputNames) defaults() []string {
	return []string{n.base + ".go", n.base + "_test.go", n.base + "_x_test.go"}
}

// owns reports whether name is a generated file of this run's naming scheme:
// one that a run may rewrite or remove when it also has the Header.
func (n outputNames) owns(name string) bool {
	name = filepath.Base(name)
	for _, d := range n.defaults() {
		if name == d {
			return true
		}
	}
	return strings.HasSuffix(name, ".go") && (strings.HasPrefix(name, n.base+"_") || strings.HasPrefix(name, n.base+"-"))
}

// output returns the name of the generated file for the clients of the file
// src, whose //go:build line is build ("" for none), and the //go:build line
// that file must carry. xtest says src belongs to an external test package.
func (n outputNames) output(src, build string, xtest bool) (name, line string) {
	base := filepath.Base(src)
	test := isTestFile(base)
	goos, goarch := nameTags(base)
	if build == "" && goos == "" && goarch == "" {
		switch {
		case xtest:
			return n.base + "_x_test.go", ""
		case test:
			return n.base + "_test.go", ""
		}
		return n.base + ".go", ""
	}
	stem := strings.TrimSuffix(base, ".go")
	name = n.base + "_" + stem + ".go"
	if os, arch := nameTags(name); os == goos && arch == goarch && isTestFile(name) == test && !n.isDefault(name) {
		return name, build
	}
	core := strings.TrimSuffix(stem, "_test")
	name = n.base + "-" + strings.ReplaceAll(core, "_", "-")
	if test {
		name += "_test"
	}
	name += ".go"
	// The name implies nothing: say in the //go:build line what src's name implies.
	var x constraint.Expr
	if build != "" {
		x, _ = constraint.Parse(build)
	}
	for _, tag := range []string{goos, goarch} {
		if tag == "" {
			continue
		}
		if x == nil {
			x = &constraint.TagExpr{Tag: tag}
		} else {
			x = &constraint.AndExpr{X: x, Y: &constraint.TagExpr{Tag: tag}}
		}
	}
	if x == nil {
		return name, build
	}
	return name, "//go:build " + x.String()
}

func (n outputNames) isDefault(name string) bool {
	for _, d := range n.defaults() {
		if name == d {
			return true
		}
	}
	return false
}

// withBuildLine puts line, a //go:build line, right below the Header of
// src, a generated file, above the package clause and any doc comment.
func withBuildLine(src []byte, line string) []byte {
	if line == "" {
		return src
	}
	s := string(src)
	rest, ok := strings.CutPrefix(s, Header+"\n")
	if !ok {
		return []byte(line + "\n\n" + s)
	}
	if !strings.HasPrefix(rest, "\n") {
		rest = "\n" + rest
	}
	return []byte(Header + "\n\n" + line + "\n" + rest)
}
