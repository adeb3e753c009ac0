// Package buildinfo says which version of this module a command was built
// from, for the commands' -version flag.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// ModulePath is the path of the module the commands belong to.
const ModulePath = "github.com/cleanupgen/cleanupgen"

// Version returns the version of this module that the running binary was
// built from, as the go command recorded it: a tag (v1.2.3), a
// pseudo-version, or "(devel)" for a build inside the module's own
// repository (go build, go run, go install of a local checkout). When the
// module was replaced by a directory (a replace directive), it is the
// version required, with " => " and the directory. Without build
// information (a binary built by other means than the go command), it is
// "unknown".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return versionOf(info)
}

func versionOf(info *debug.BuildInfo) string {
	mods := append([]*debug.Module{&info.Main}, info.Deps...)
	for _, m := range mods {
		if m.Path != ModulePath {
			continue
		}
		v := m.Version
		if v == "" {
			v = "(devel)"
		}
		if r := m.Replace; r != nil {
			if r.Version != "" {
				return v + " => " + r.Path + " " + r.Version
			}
			return v + " => " + r.Path
		}
		return v
	}
	return "unknown"
}

// Line is what -version prints: the command's name, the module's path and
// its version.
func Line(command string) string {
	return strings.Join([]string{command, ModulePath, Version()}, " ")
}
