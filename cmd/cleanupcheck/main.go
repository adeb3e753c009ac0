// Cleanupcheck reports the resources of //cleanup:client structs that no
// //cleanup: directive tears down, the directive mistakes that cleanupgen
// would report, and generated files that are missing or stale.
//
// Usage:
//
//	cleanupcheck [-guard=false] [-fix [-diff]] [-json] [-c=N] [packages]
//	go vet -vettool=$(which cleanupcheck) [-guard=false] [packages]
//
// Packages are go list patterns such as ./...; test files are ignored, as
// cleanupgen ignores them. Each finding is printed as file:line:col: message.
// With -fix, the suggested directives are written into the source (review
// them: //cleanup:ignore is the answer for a field the client does not own);
// with -fix -diff, they are printed as a diff instead. -guard=false turns
// off the rules on writes of managed fields without lock= and on exported
// methods that use managed fields without Enter, which are on by default. //nolint:cleanupcheck on a field,
// type or function silences its findings. cleanupcheck -h lists every flag.
//
// Install it with
//
//	go install github.com/cleanupgen/cleanupgen/cmd/cleanupcheck@latest
//
// or, in a module that has added it with go get -tool, run it as
// go tool cleanupcheck ./...
//
// cleanupcheck -version prints the version of the module it was built from
// ("(devel)" when built inside the module's repository) and exits 0.
//
// Exit codes, run alone: 0 nothing found; 3 findings; 1 packages that could
// not be loaded or analysed. Under go vet, any finding makes vet fail.
//
// The checks are those of package
// github.com/cleanupgen/cleanupgen/analysis/cleanupcheck.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/tools/go/analysis/singlechecker"

	"github.com/cleanupgen/cleanupgen/analysis/cleanupcheck"
	"github.com/cleanupgen/cleanupgen/internal/buildinfo"
)

func main() {
	flag.Var(versionFlag{}, "version", "print the version of the module cleanupcheck was built from, and exit")
	singlechecker.Main(cleanupcheck.Analyzer)
}

// versionFlag is -version: setting it prints the version and exits, as
// singlechecker's own -V does, since Main parses the flags and never
// returns to look at them.
type versionFlag struct{}

func (versionFlag) IsBoolFlag() bool { return true }
func (versionFlag) String() string   { return "" }
func (versionFlag) Get() any         { return nil }

func (versionFlag) Set(s string) error {
	if on, err := strconv.ParseBool(s); err != nil || !on {
		return err
	}
	fmt.Println(buildinfo.Line("cleanupcheck"))
	os.Exit(0)
	return nil
}
