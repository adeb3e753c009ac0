package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The overlay stands in for every generated file of the packages a run
// loads, before they are type-checked: a file that declares, for each
// //cleanup:client struct a syntactic pre-scan finds, the Close and
// CloseContext methods that the real file declares, with empty bodies.
// Packages then type-check the same before the first generation, after it,
// and with a stale generated file: code that uses the generated methods (an
// io.Closer conversion, an embedding struct calling Close, a client of
// another package in a field) compiles, and a renamed or retyped field does
// not trip over the old file.

// srcFile is what the pre-scan learns of one Go file without type-checking it.
type srcFile struct {
	exists  bool
	header  bool   // the file starts with Header: it is cleanupgen's output
	pkg     string // the package clause; "" when the file was not parsed
	build   string // its //go:build line, or ""
	clients []stubType
	methods []string // "T.M" for the methods the file declares
}

// stubType is a //cleanup:client struct type, as the stub declares it.
type stubType struct {
	name    string
	nparams int // type parameters
	// method is the method= of //cleanup:client: the one method that the
	// generated file declares instead of Close and CloseContext.
	method string
	// fields names the struct's fields called Close or CloseContext, which
	// the stub must not declare as methods: the checker reports them.
	fields []string
}

var (
	clientMarker = []byte("//" + tool + ":client")
	closeMarker  = []byte("Close")
)

// scanFile reads and, when it may matter, parses one file.
func scanFile(path string) *srcFile {
	src, err := os.ReadFile(path)
	if err != nil {
		return &srcFile{}
	}
	sf := &srcFile{exists: true, header: hasHeaderSource(src)}
	if sf.header || (!bytes.Contains(src, clientMarker) && !bytes.Contains(src, closeMarker)) {
		return sf
	}
	f, err := parser.ParseFile(token.NewFileSet(), path, src, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil && f == nil {
		return sf
	}
	sf.pkg = f.Name.Name
	sf.build = buildLine(f)
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) != 1 {
				continue
			}
			if name := recvName(d.Recv.List[0].Type); name != "" {
				sf.methods = append(sf.methods, name+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				continue
			}
			for _, spec := range d.Specs {
				ts := spec.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				marked, method := markedClient(d, ts)
				if !ok || ts.Assign.IsValid() || !marked {
					continue
				}
				t := stubType{name: ts.Name.Name, method: method}
				if ts.TypeParams != nil {
					for _, field := range ts.TypeParams.List {
						t.nparams += max(len(field.Names), 1)
					}
				}
				for _, field := range st.Fields.List {
					for _, id := range fieldNames(field) {
						if contains(t.generated(), id) {
							t.fields = append(t.fields, id)
						}
					}
				}
				sf.clients = append(sf.clients, t)
			}
		}
	}
	return sf
}

// generated names the methods that the generated file declares for t.
func (t stubType) generated() []string {
	if t.method != "" {
		return []string{t.method}
	}
	return []string{"Close", "CloseContext"}
}

// markedClient reports whether the comments of ts carry a //cleanup:client
// line: gd's doc comment when gd declares ts alone, and ts's own; method is
// its method= option.
func markedClient(gd *ast.GenDecl, ts *ast.TypeSpec) (marked bool, method string) {
	groups := []*ast.CommentGroup{ts.Doc, ts.Comment}
	if gd.Lparen == token.NoPos {
		groups = append(groups, gd.Doc)
	}
	for _, g := range groups {
		if g == nil {
			continue
		}
		for _, c := range g.List {
			rest, ok := strings.CutPrefix(withoutComment(c.Text), string(clientMarker))
			if ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
				for _, arg := range strings.Fields(rest) {
					if m, ok := strings.CutPrefix(arg, "method="); ok && token.IsIdentifier(m) {
						method = m
					}
				}
				return true, method
			}
		}
	}
	return false, ""
}

// recvName is the base type name of a method receiver: T for T, *T, *T[E].
func recvName(x ast.Expr) string {
	for {
		switch t := x.(type) {
		case *ast.StarExpr:
			x = t.X
		case *ast.ParenExpr:
			x = t.X
		case *ast.IndexExpr:
			x = t.X
		case *ast.IndexListExpr:
			x = t.X
		case *ast.Ident:
			return t.Name
		default:
			return ""
		}
	}
}

// fieldNames are the names a struct field declares: its names, or for an
// embedded field its type's name.
func fieldNames(f *ast.Field) []string {
	if len(f.Names) > 0 {
		names := make([]string, len(f.Names))
		for i, id := range f.Names {
			names[i] = id.Name
		}
		return names
	}
	x := f.Type
	if sel, ok := x.(*ast.SelectorExpr); ok {
		return []string{sel.Sel.Name}
	}
	if sel, ok := x.(*ast.StarExpr); ok {
		if s, ok := sel.X.(*ast.SelectorExpr); ok {
			return []string{s.Sel.Name}
		}
	}
	if name := recvName(x); name != "" {
		return []string{name}
	}
	return nil
}

// stubFile is the stand-in for one generated file.
type stubFile struct {
	pkg   string
	build string
	types []stubType
	// declared holds the "T.Close"-style methods that the package's own
	// files declare: the stub leaves them out, and the checker reports them.
	declared map[string]bool
}

// source renders the stub.
func (s *stubFile) source() []byte {
	var b bytes.Buffer
	b.WriteString(Header + "\n\n")
	if s.build != "" {
		b.WriteString(s.build + "\n\n")
	}
	fmt.Fprintf(&b, "package %s\n", s.pkg)
	type method struct{ recv, name string }
	var methods []method
	for _, t := range s.types {
		recv := "*" + t.name
		if t.nparams > 0 {
			recv += "[" + strings.Repeat("_, ", t.nparams-1) + "_]"
		}
		for _, name := range t.generated() {
			if !s.declared[t.name+"."+name] && !contains(t.fields, name) {
				methods = append(methods, method{recv, name})
			}
		}
	}
	for _, m := range methods {
		if m.name != "Close" {
			b.WriteString("\nimport cleanupgenContext \"context\"\n")
			break
		}
	}
	for _, m := range methods {
		if m.name == "Close" {
			fmt.Fprintf(&b, "\nfunc (%s) Close() error { return nil }\n", m.recv)
		} else {
			fmt.Fprintf(&b, "\nfunc (%s) %s(cleanupgenContext.Context) error { return nil }\n", m.recv, m.name)
		}
	}
	return b.Bytes()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// blankSource is the stand-in for a generated file that this run will
// remove or rewrite and that declares nothing now.
func blankSource(pkg string) []byte {
	return []byte(Header + "\n\npackage " + pkg + "\n")
}

// overlayBuilder collects the stand-ins for the generated files of the
// packages of one listing.
type overlayBuilder struct {
	names outputNames
	files map[string]*srcFile        // by absolute path: scanned once across package variants
	stubs map[string]*stubFile       // by output path
	owned map[string]string          // generated files of the run's scheme -> package name
	decls map[string]map[string]bool // dir + "\x00" + package name -> declared methods
}

func newOverlayBuilder(names outputNames) *overlayBuilder {
	return &overlayBuilder{
		names: names,
		files: map[string]*srcFile{},
		stubs: map[string]*stubFile{},
		owned: map[string]string{},
		decls: map[string]map[string]bool{},
	}
}

func (b *overlayBuilder) file(path string) *srcFile {
	sf := b.files[path]
	if sf == nil {
		sf = scanFile(path)
		b.files[path] = sf
	}
	return sf
}

// add scans the files of one package (variant) named pkg, an external test
// package when xtest.
func (b *overlayBuilder) add(pkg string, files []string, xtest bool) {
	for _, path := range files {
		if !strings.HasSuffix(path, ".go") {
			continue
		}
		sf := b.file(path)
		if !sf.exists {
			continue
		}
		key := filepath.Dir(path) + "\x00" + pkg
		if sf.header && b.names.owns(path) {
			b.owned[path] = pkg
			continue
		}
		if b.decls[key] == nil {
			b.decls[key] = map[string]bool{}
		}
		for _, m := range sf.methods {
			b.decls[key][m] = true
		}
		if len(sf.clients) == 0 {
			continue
		}
		name, line := b.names.output(path, sf.build, xtest)
		out := filepath.Join(filepath.Dir(path), name)
		s := b.stubs[out]
		if s == nil {
			s = &stubFile{pkg: pkg, build: line, declared: b.decls[key]}
			b.stubs[out] = s
		}
		for _, t := range sf.clients {
			if !containsType(s.types, t.name) {
				s.types = append(s.types, t)
			}
		}
	}
}

func containsType(ts []stubType, name string) bool {
	for _, t := range ts {
		if t.name == name {
			return true
		}
	}
	return false
}

// overlay returns the stand-ins by path. A stub is not placed over a file
// that lacks the Header: that file is the user's, and the run will say so.
func (b *overlayBuilder) overlay() map[string][]byte {
	out := map[string][]byte{}
	paths := make([]string, 0, len(b.stubs))
	for path := range b.stubs {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		if sf := b.file(path); sf.exists && !sf.header {
			continue
		}
		out[path] = b.stubs[path].source()
	}
	for path, pkg := range b.owned {
		if _, ok := out[path]; !ok {
			out[path] = blankSource(pkg)
		}
	}
	return out
}
