// Cleanupgen generates Close and CloseContext methods that tear down a
// client struct's resources by a deadline, whatever those resources do.
//
// Usage:
//
//	cleanupgen [-output FILE] [-check] [-tags TAGS] [-v] [packages]
//
// The flags are:
//
//	-output FILE
//		the generated file's name in each package's directory, or its
//		path in the directory of the one package (default
//		zz_generated_cleanup.go); the test and constrained files are named
//		after it
//	-check
//		write nothing; exit 1 and name each generated file that is
//		missing, stale or extra
//	-tags TAGS
//		build tags, as for go build
//	-v
//		log what is done to standard error
//	-version
//		print the version of the module the binary was built from (a tag,
//		a pseudo-version, or "(devel)" for a build inside the module's
//		repository) and exit 0
//
// Packages are go list patterns such as ./...; the default is the package in
// the current directory, which is what go:generate runs it in. A .go file
// stands for its package: cleanupgen $GOFILE generates the package of the
// file that holds the //go:generate line. Inside this module, write
//
//	//go:generate go run github.com/cleanupgen/cleanupgen/cmd/cleanupgen
//
// and in other modules, after go get -tool github.com/cleanupgen/cleanupgen/cmd/cleanupgen,
//
//	//go:generate go tool cleanupgen
//
// For each package with a //cleanup:client struct, cleanupgen writes
// zz_generated_cleanup.go beside it, atomically and only when its bytes
// change. Clients declared in _test.go files go to zz_generated_cleanup_test.go
// (zz_generated_cleanup_x_test.go for an external package p_test). Clients
// declared in a file F.go with a build constraint, a //go:build line or a
// _GOOS or _GOARCH file name, go to zz_generated_cleanup_F.go, which carries
// the same constraint; a run never rewrites or removes a generated file of
// another build configuration (run it once per -tags, GOOS and GOARCH that
// has clients of its own). A package without clients gets no file, and a
// generated file left from an earlier run is removed. A file lacking the
// generated header is never overwritten or removed. A generated file
// checked out with CRLF line endings is not stale for that.
//
// Under go generate (GOFILE and GOPACKAGE set), a generated file that no
// client needs any more is emptied rather than removed: go generate lists
// the files of the packages before it runs their commands, and stops with
// exit status 1 at a listed file that is gone. The emptied file keeps the
// header, its //go:build line and the package clause, declares nothing, and
// says why in a comment; -check accepts it, and a run outside go generate
// removes it.
//
// Code that already calls the generated methods loads before the first
// generation: cleanupgen type-checks every package with stand-ins for the
// generated files of the module's packages. Type errors that no client's
// declaration reaches (a test calling a method not written yet, a call of a
// String method that stringer writes later in the same go generate run) do
// not stop it. A package whose clients reach one (an undefined field type,
// a syntax error) is named and not generated, the others are, and the run
// exits 2. It type-checks what it would
// write, with the package and its tests, before writing anything; code that
// does not compile there is a bug in cleanupgen, reported as an internal
// error with nothing written.
//
// Every mistake in the directives is reported as file:line:col: message
// before anything is written. cleanupgen -h lists the directives.
//
// Exit codes: 0 done or up to date; 1 a diagnostic, stale files with -check,
// or an internal error; 2 bad usage (-output outside the package's
// directory, or a name the go command would not compile as the default
// build's) or packages that cannot be loaded, the others being generated.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"

	"github.com/cleanupgen/cleanupgen/generator"
	"github.com/cleanupgen/cleanupgen/internal/buildinfo"
)

func main() {
	// A run is short and allocates its heap once (the packages' syntax and
	// types, the generated code): collecting less often saves a tenth to a
	// fifth of its CPU time. The soft limit keeps a run of thousands of
	// clients below the memory that GOGC=100 would take. GOGC and
	// GOMEMLIMIT, when set, still decide.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
		if os.Getenv("GOMEMLIMIT") == "" {
			debug.SetMemoryLimit(512 << 20)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cleanupgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "", "write the generated code to `FILE` in each package's directory (default "+generator.DefaultOutput+")")
	check := fs.Bool("check", false, "write nothing; exit 1 when a generated file is missing, stale or extra")
	tags := fs.String("tags", "", "comma-separated build `TAGS`, as for go build")
	verbose := fs.Bool("v", false, "log what is done to standard error")
	version := fs.Bool("version", false, "print the version of the module cleanupgen was built from, and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cleanupgen [-output FILE] [-check] [-tags TAGS] [-v] [packages]")
		fmt.Fprintln(stderr, "       cleanupgen -version")
		fs.PrintDefaults()
		fmt.Fprintln(stderr)
		fmt.Fprint(stderr, generator.Help())
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.Line("cleanupgen"))
		return 0
	}
	cfg := generator.Config{Patterns: fs.Args(), Tags: *tags, Output: *output, Check: *check}
	logger := log.New(stderr, "cleanupgen: ", 0)
	cfg.Warnf = logger.Printf
	if *verbose {
		cfg.Logf = logger.Printf
	}
	return exitCode(stderr, generator.Run(cfg))
}

func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	var usage *generator.UsageError
	var load *generator.LoadError
	var internal *generator.InternalError
	var diags generator.Diagnostics
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "cleanupgen:", err)
		return 2
	case errors.As(err, &load):
		// Said as the go command says it: positions, or its own words.
		fmt.Fprintln(stderr, err)
		return 2
	case errors.As(err, &internal):
		fmt.Fprintln(stderr, "cleanupgen:", err)
		return 1
	case errors.As(err, &diags):
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintln(stderr, "cleanupgen:", err)
	return 1
}
