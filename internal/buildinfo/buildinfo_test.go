package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVersionOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"inside the repository", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "(devel)"}}, "(devel)"},
		{"installed at a tag", debug.BuildInfo{Main: debug.Module{Path: ModulePath, Version: "v1.2.3"}}, "v1.2.3"},
		{"a tool of another module", debug.BuildInfo{
			Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: "golang.org/x/tools", Version: "v0.52.0"}, {Path: ModulePath, Version: "v0.4.0"}},
		}, "v0.4.0"},
		{"replaced by a directory", debug.BuildInfo{
			Main: debug.Module{Path: "example.com/app"},
			Deps: []*debug.Module{{Path: ModulePath, Version: "v0.4.0", Replace: &debug.Module{Path: "../cleanupgen"}}},
		}, "v0.4.0 => ../cleanupgen"},
		{"not built from the module", debug.BuildInfo{Main: debug.Module{Path: "example.com/app"}}, "unknown"},
	} {
		assert.Equal(t, tc.want, versionOf(&tc.info), tc.name)
	}
}

// TestVersionInTest: a test binary of this module is built from it.
func TestVersionInTest(t *testing.T) {
	assert.Equal(t, "(devel)", Version())
	assert.Equal(t, "cleanupgen "+ModulePath+" (devel)", Line("cleanupgen"))
}
