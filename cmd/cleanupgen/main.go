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
//
// Packages are go list patterns such as ./...; the default is the package in
// the current directory, which is what go:generate runs it in. Inside this
// module, write
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
// Code that already calls the generated methods loads before the first
// generation: cleanupgen type-checks every package with stand-ins for the
// generated files of the module's packages. It type-checks what it would
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
// build's) or packages that cannot be loaded.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/cleanupgen/cleanupgen/generator"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("cleanupgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	output := fs.String("output", "", "write the generated code to `FILE` in each package's directory (default "+generator.DefaultOutput+")")
	check := fs.Bool("check", false, "write nothing; exit 1 when a generated file is missing, stale or extra")
	tags := fs.String("tags", "", "comma-separated build `TAGS`, as for go build")
	verbose := fs.Bool("v", false, "log what is done to standard error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: cleanupgen [-output FILE] [-check] [-tags TAGS] [-v] [packages]")
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
