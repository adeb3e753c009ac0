package generator

import (
	"fmt"
	"os"
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

// BenchmarkGenerate measures a full run (load, check, emit, compare with the
// file on disk) over a synthetic package of 300 and of 3000 clients with 8
// managed fields each.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{300, 3000} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			dir := tempModule(b, map[string]string{"synth/synth.go": syntheticPackage(n)})
			b.Setenv("GOFLAGS", "-mod=mod")
			b.Setenv("GOWORK", "off")
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
	b.Setenv("GOFLAGS", "-mod=mod")
	b.Setenv("GOWORK", "off")
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
