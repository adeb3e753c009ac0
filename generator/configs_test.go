package generator

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// configuration is one build configuration a test generates and builds in.
type configuration struct {
	goos, tags string
}

func (c configuration) String() string {
	if c.tags == "" {
		return c.goos
	}
	return c.goos + ",-tags=" + c.tags
}

// configurationFiles is a package whose types differ between
// configurations: a Watcher that is a //cleanup:client on linux only, a
// handle that is an int on unix and a uintptr on windows, a Tracer that is
// a client only under -tags debug, and an fd that is a pointer on unix and
// a struct on windows.
var configurationFiles = map[string]string{
	"app/app.go": `package app

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type App struct {
	guard runtime.Guard
	//cleanup:close
	w *Watcher
	//cleanup:close
	byHandle map[handle]io.Closer
	//cleanup:close
	tracer *Tracer
	//cleanup:close
	fd fdT
	//cleanup:close
	fds []fdT
	//cleanup:nil
	spare fdT
}
`,
	"app/watcher_linux.go": `package app

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Watcher struct {
	guard runtime.Guard
	//cleanup:close
	inotify io.Closer
}
`,
	"app/watcher_other.go": `//go:build !linux

package app

type Watcher struct{}

func (*Watcher) Close() error { return nil }
`,
	"app/handle_unix.go": `//go:build unix

package app

type handle int

type file struct{}

func (*file) Close() error { return nil }

type fdT = *file
`,
	"app/handle_windows.go": `package app

type handle uintptr

type fdT struct{ h uintptr }

func (*fdT) Close() error { return nil }
`,
	"app/tracer_debug.go": `//go:build debug

package app

import (
	"io"

	"github.com/cleanupgen/cleanupgen/runtime"
)

//cleanup:client
type Tracer struct {
	guard runtime.Guard
	//cleanup:close
	out io.Closer
}
`,
	"app/tracer_nodebug.go": `//go:build !debug

package app

type Tracer struct{}

func (*Tracer) Close() error { return nil }
`,
}

// TestSharedFileAcrossConfigurations: the shared zz_generated_cleanup.go is
// the same bytes whatever GOOS or -tags the run had, and compiles in every
// configuration; -check agrees in each.
func TestSharedFileAcrossConfigurations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds for several GOOS")
	}
	dir := layoutModule(t, configurationFiles)
	configs := []configuration{{"linux", ""}, {"darwin", ""}, {"windows", ""}, {"linux", "debug"}, {"windows", "debug"}}
	shared := filepath.Join(dir, "app", DefaultOutput)
	var want []byte
	for _, c := range configs {
		t.Setenv("GOOS", c.goos)
		files, err := Generate(Config{Dir: dir, Patterns: []string{"./..."}, Tags: c.tags})
		require.NoError(t, err, "%s", c)
		var got []byte
		for _, f := range files {
			if f.Path == shared {
				got = f.Content
			}
		}
		require.NotNil(t, got, "%s: no shared file", c)
		if want == nil {
			want = got
			continue
		}
		assert.Equal(t, string(want), string(got), "the shared file generated under %s differs from %s's", c, configs[0])
	}
	// Each configuration's own files, then every configuration builds and
	// is up to date.
	for _, c := range configs {
		t.Setenv("GOOS", c.goos)
		require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Tags: c.tags}), "%s", c)
	}
	assert.Equal(t, string(want), readFile(t, shared))
	for _, c := range configs {
		t.Setenv("GOOS", c.goos)
		require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Tags: c.tags, Check: true}), "-check under %s", c)
		args := []string{"./..."}
		if c.tags != "" {
			args = append([]string{"-tags=" + c.tags}, args...)
		}
		requireBuilds(t, dir, args...)
	}
}
