// Cleanupcheck reports the resources of //cleanup:client structs that no
// //cleanup: directive tears down, the directive mistakes that cleanupgen
// would report, and generated files that are missing or stale.
//
// Usage:
//
//	cleanupcheck [-guard=false] [-test=false] [-fix [-diff]] [-json] [-c=N] [packages]
//	go vet -vettool=$(which cleanupcheck) [-guard=false] [packages]
//
// Packages are go list patterns such as ./.... Each finding is printed as
// file:line:col: message; with -json, as JSON with its category and fixes.
//
// The findings, by category:
//
//   - resource: a field of a //cleanup:client struct that holds a resource
//     (a Close, Shutdown or Stop method, a cancel func, a ticker or timer, a
//     WaitGroup, a channel the package makes...) and has no directive;
//   - order: a close not in a phase before the wait for a goroutine that
//     blocks on it, which would make the wait last the whole deadline;
//   - drop: a directive without drop=false on a field that a goroutine
//     nothing waits for reads;
//   - directive: a directive mistake, as cleanupgen reports it;
//   - close-inside: Close called between the guard's Enter and Leave;
//   - write-inside: a write of a managed field, between Enter and Leave,
//     whose directive has no lock=;
//   - unguarded: an exported method that uses managed fields without Enter;
//   - missing, stale: a generated file that is missing, differs from what
//     cleanupgen writes now (-fix rewrites it), or serves no client any
//     more.
//
// go doc github.com/cleanupgen/cleanupgen/analysis/cleanupcheck is the
// reference of every rule and the fixes it suggests.
//
// With -fix, the suggested fixes are written into the source, all of them
// in one run: on a struct marked //cleanup:client alone, the runtime.Guard
// field, every directive with its order=, lock= and drop=false, and Enter
// and Leave (or EnterContext) in the methods; then run cleanupgen. Review
// them: //cleanup:ignore is the answer for a field the client does not own.
// With -fix -diff, they are printed as a diff instead. -guard=false turns
// off the rules on writes of managed fields without lock= and on exported
// methods that use managed fields without Enter, which are on by default.
// //nolint:cleanupcheck on a field, type or function silences its findings.
// cleanupcheck -h lists every flag.
//
// Test files are loaded (-test, on by default, as in every go/analysis
// command): the test variant of a package is analysed as well as the
// package, and a finding in a file that both share is reported and fixed
// once. The directives of _test.go files themselves are not checked.
// -test=false loads the packages without their tests.
//
// Run alone, cleanupcheck loads packages as cleanupgen does, with stand-ins
// for the generated files: before the first generation, code and tests
// that call a client's Close type-check, and are analysed. (It is its own
// go/packages driver for that: it sets GOPACKAGESDRIVER for its loads,
// unless it is set already.) Under go vet, the go command loads them.
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
	if os.Getenv(driverEnv) == "1" {
		os.Exit(driver(os.Args[1:]))
	}
	useStubs()
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
