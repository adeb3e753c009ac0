package generator

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// syntheticPackage returns a package of n client structs with 8 managed
// fields each, one of every kind the generator handles.
func syntheticPackage(n int) string {
	var b strings.Builder
	b.WriteString(`package synth

import (
	"context"
	"net"
	"sync"

	"github.com/cleanupgen/cleanupgen/runtime"
)

type Item struct{}

func (*Item) Close() error { return nil }

type Server struct{}

func (*Server) Shutdown(context.Context) error { return nil }
func (*Server) Close() error                  { return nil }
`)
	for i := range n {
		fmt.Fprintf(&b, `
//cleanup:client timeout=2s
type Client%d struct {
	guard runtime.Guard
	//cleanup:cancel
	cancel context.CancelFunc
	//cleanup:wait
	wg sync.WaitGroup
	//cleanup:wait timeout=100ms
	done chan struct{}
	//cleanup:close
	conn net.Conn
	//cleanup:close Shutdown force=Close timeout=1s
	srv *Server
	//cleanup:close
	items []*Item
	//cleanup:close order=3
	byName map[string]*Item
	//cleanup:nil
	buf []byte
}
`, i)
	}
	return b.String()
}

var (
	benchModule  = flag.String("benchmodule", "", "TestWriteBenchModule writes the module of BenchmarkVsStringer into `DIR`, for runs by hand")
	benchClients = flag.Int("benchclients", 300, "the number of clients and of enum types TestWriteBenchModule writes")
)

// TestWriteBenchModule writes BenchmarkVsStringer's module (synth/: n
// clients, enums/: n types) into -benchmodule, tidy, so that the commands
// can be timed by hand as docs/generator-performance.md says. Without the
// flag it does nothing.
//
//	go test ./generator -run TestWriteBenchModule -benchmodule /tmp/bm -benchclients 300
func TestWriteBenchModule(t *testing.T) {
	if *benchModule == "" {
		t.Skip("no -benchmodule")
	}
	root := repoRoot(t)
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"go.mod": "module example.com/e2e\n\ngo 1.26\n\nrequire github.com/cleanupgen/cleanupgen v0.0.0\n\n" +
			"replace github.com/cleanupgen/cleanupgen => " + root + "\n",
		"go.sum":         string(sum),
		"synth/synth.go": syntheticPackage(*benchClients),
		"enums/enums.go": enumPackage(*benchClients),
	}
	for name, content := range files {
		path := filepath.Join(*benchModule, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := goCmd(t, *benchModule, "mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
}

// defaultFlags makes the module in dir tidy (go mod tidy, from the module
// cache) and then runs the go command as users run it: the default
// -mod=readonly with a complete go.mod and go.sum, not -mod=mod (which adds
// module resolution to every run), outside any workspace.
func defaultFlags(b *testing.B, dir string) {
	if out, err := goCmd(b, dir, "mod", "tidy"); err != nil {
		b.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	b.Setenv("GOFLAGS", "")
	b.Setenv("GOWORK", "off")
}

// BenchmarkFirstGeneration is one run of the command's work in process, as
// BenchmarkVsStringer runs the command: 300 clients, the output removed
// before each run, so that everything is done (load, check, emit, check the
// output, write). For a CPU profile:
//
//	go test ./generator -run '^$' -bench FirstGeneration -benchtime 20x -cpuprofile cpu.out
func BenchmarkFirstGeneration(b *testing.B) {
	dir := tempModule(b, map[string]string{"synth/synth.go": syntheticPackage(300)})
	defaultFlags(b, dir)
	cfg := Config{Dir: filepath.Join(dir, "synth")}
	out := filepath.Join(dir, "synth", DefaultOutput)
	if err := Run(cfg); err != nil { // warms the build cache
		b.Fatal(err)
	}
	for b.Loop() {
		_ = os.Remove(out)
		if err := Run(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGenerate measures a full run (load, check, emit, compare with the
// file on disk) over a synthetic package of 300 and of 3000 clients with 8
// managed fields each.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{300, 3000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			dir := tempModule(b, map[string]string{"synth/synth.go": syntheticPackage(n)})
			defaultFlags(b, dir)
			cfg := Config{Dir: filepath.Join(dir, "synth")}
			if err := Run(cfg); err != nil { // the first run writes the file and warms the caches
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if err := Run(cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st, err := os.Stat(filepath.Join(dir, "synth", DefaultOutput))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(st.Size()), "output-bytes")
		})
	}
}

// BenchmarkEmit measures checking and emitting alone, without the go
// command, over 300 clients.
func BenchmarkEmit(b *testing.B) {
	dir := tempModule(b, map[string]string{"synth/synth.go": syntheticPackage(300)})
	defaultFlags(b, dir)
	pkgs, err := load(filepath.Join(dir, "synth"), []string{"."}, "", func(string) bool { return false })
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		p, ds := check(pkgs[0])
		if len(ds) > 0 {
			b.Fatal(ds)
		}
		if _, err := emit(p); err != nil {
			b.Fatal(err)
		}
	}
}

// enumPackage returns a package of n integer types with 8 constants each:
// stringer's counterpart of syntheticPackage.
func enumPackage(n int) string {
	var b strings.Builder
	b.WriteString("package enums\n")
	for i := range n {
		fmt.Fprintf(&b, "\ntype T%d int\n\nconst (\n", i)
		for k := range 8 {
			if k == 0 {
				fmt.Fprintf(&b, "\tT%dC%d T%d = iota\n", i, k, i)
			} else {
				fmt.Fprintf(&b, "\tT%dC%d\n", i, k)
			}
		}
		b.WriteString(")\n")
	}
	return b.String()
}

// buildCommand builds the command at pkg (a path relative to this module's
// root, or an import path) into dir and returns the binary's path.
func buildCommand(b *testing.B, dir, name, pkg string) string {
	bin := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = repoRoot(b)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// BenchmarkVsStringer runs, side by side in one run, the cleanupgen command
// on n clients of 8 fields and the stringer command (golang.org/x/tools
// cmd/stringer, at the version this module requires) on n types of 8
// constants, each in its package's directory as go generate would, for n =
// 300 and 3000. Both commands load their package with go/packages, so the
// figures compare like with like: start, go list, type-check, generate,
// format, write. Both run with the go command's default flags
// (-mod=readonly, with a go.sum), as users run them.
//
//	go test ./generator -run '^$' -bench VsStringer -benchtime 10x
func BenchmarkVsStringer(b *testing.B) {
	bins := b.TempDir()
	cleanupgen := buildCommand(b, bins, "cleanupgen", "./cmd/cleanupgen")
	stringer := buildCommand(b, bins, "stringer", "golang.org/x/tools/cmd/stringer")
	for _, n := range []int{300, 3000} {
		dir := tempModule(b, map[string]string{
			"synth/synth.go": syntheticPackage(n),
			"enums/enums.go": enumPackage(n),
		})
		defaultFlags(b, dir)
		types := make([]string, n)
		for i := range n {
			types[i] = fmt.Sprintf("T%d", i)
		}
		run := func(b *testing.B, pkgDir, bin string, args ...string) {
			b.Helper()
			cmd := exec.Command(bin, args...)
			cmd.Dir = filepath.Join(dir, pkgDir)
			cmd.Env = os.Environ()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("%s: %v\n%s", filepath.Base(bin), err, out)
			}
		}
		b.Run(fmt.Sprintf("cleanupgen/clients=%d", n), func(b *testing.B) {
			run(b, "synth", cleanupgen) // warms the build cache
			for b.Loop() {
				// Remove the output, so that every run writes it, as stringer does.
				_ = os.Remove(filepath.Join(dir, "synth", DefaultOutput))
				run(b, "synth", cleanupgen)
			}
		})
		b.Run(fmt.Sprintf("stringer/types=%d", n), func(b *testing.B) {
			run(b, "enums", stringer, "-type", strings.Join(types, ","))
			for b.Loop() {
				run(b, "enums", stringer, "-type", strings.Join(types, ","))
			}
		})
	}
}

// BenchmarkLoad measures loading alone (go list with the stubs, parsing,
// type-checking) before the first generation: of a package of 300 clients,
// and of a package that imports it and converts a client to io.Closer.
func BenchmarkLoad(b *testing.B) {
	dir := tempModule(b, map[string]string{
		"synth/synth.go": syntheticPackage(300),
		"user/user.go": `package user

import (
	"io"

	"example.com/e2e/synth"
)

var _ io.Closer = (*synth.Client0)(nil)
`,
	})
	defaultFlags(b, dir)
	for _, pkg := range []string{"synth", "user"} {
		b.Run(pkg, func(b *testing.B) {
			ld := &loader{dir: dir, patterns: []string{"./" + pkg}, names: newOutputNames(DefaultOutput)}
			if _, err := ld.load(); err != nil { // warms the build cache
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := ld.load(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
