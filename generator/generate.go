// Package generator implements cleanupgen: it loads Go packages, parses and
// checks their //cleanup: directives, and emits zz_generated_cleanup.go with
// Close and CloseContext methods that run each teardown through the runtime
// package's deadline manager. Clients of _test.go files and of files with a
// build constraint get generated files of their own (see build.go).
//
// # API
//
// The API is [Run] with its [Config]: what the cleanupgen command does,
// for a program that runs it in-process. Run's errors are a [*UsageError],
// a [*LoadError], [Diagnostics], an [*InternalError], or with Config.Check
// one that wraps [ErrStale]; [DefaultOutput] and [Header] name and mark
// the files it writes.
//
// The rest ([Analyze] and its [Source], [Report], [TypeDecl], [FieldDecl]
// and [PosDiagnostic]; [Stubs], [SameGenerated], [Callable], [IsGuard],
// [IsDirective], [Help], [RuntimePath]) is exported for cleanupgen's own
// tools, cmd/cleanupgen and the cleanupcheck analyzer, which must judge
// a package exactly as the generator does. It is not a stable API and
// changes with them.
//
// # Layout
//
// The steps are separate, over plain data: load (golang.org/x/tools/go/packages,
// with stand-ins for the generated files: overlay.go; the go command's
// -overlay and the type-check: typecheck.go, rootexport.go; which errors
// stop a package: tolerant.go), parse directives (parseDirective, driven by
// the verbs table), check them against go/types into a model (pkgModel,
// client, step: model.go), and emit the model with jennifer.
package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultOutput is the name of the generated file.
const DefaultOutput = "zz_generated_cleanup.go"

// Config is one run of cleanupgen.
type Config struct {
	// Dir is the directory the patterns are relative to; "" means the
	// current directory.
	Dir string
	// Patterns are go list patterns; none means ".".
	Patterns []string
	// Tags are build tags, comma or space separated, as for go build -tags.
	Tags string
	// Output is the generated file's name, placed in each package's
	// directory, or its path in the directory of the one package the
	// patterns match. "" means DefaultOutput. The generated files for test
	// files and constrained files are named after it (see build.go).
	Output string
	// Check writes nothing and reports each file that is missing, stale or extra.
	Check bool
	// Logf, when not nil, is told what the run does.
	Logf func(format string, args ...any)
	// Warnf, when not nil, is told what the user should know even without
	// Logf, such as a generated file emptied under go generate instead of
	// removed.
	Warnf func(format string, args ...any)
}

// ErrStale is returned (wrapped) by Run with Check when a generated file is
// missing, stale or extra.
var ErrStale = errors.New("generated files are out of date; run cleanupgen")

// A UsageError is a mistake in the Config itself.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// file is one generated file of a package. Content is nil when no client
// is generated into it, and the file should not exist.
type file struct {
	Package string // import path
	Path    string // the generated file's path
	Content []byte
}

// generateFiles loads the packages, checks them and renders their generated
// files without touching the disk. Its error is a *LoadError, a *UsageError,
// Diagnostics (every mistake of every package) or an *InternalError (the
// rendered code does not compile).
//
// When some packages load and others do not (a *LoadError whose Packages
// names them), generateFiles returns the files of those that loaded with the
// *LoadError. With Diagnostics as well, it returns no files and both errors,
// joined.
func generateFiles(cfg Config) ([]file, error) {
	results, err := generate(cfg)
	var partial *LoadError
	if err != nil && (results == nil || !errors.As(err, &partial)) {
		return nil, err
	}
	var diags Diagnostics
	files := make([]file, 0, len(results))
	for _, r := range results {
		diags = append(diags, r.diags...)
		files = append(files, r.file)
	}
	if len(diags) > 0 {
		diags.sort()
		if partial != nil {
			return nil, errors.Join(partial, diags)
		}
		return nil, diags
	}
	if partial != nil {
		return files, partial
	}
	return files, nil
}

// result is the outcome for one package.
type result struct {
	file  file
	diags Diagnostics
}

// generate is generateFiles with each package's diagnostics kept apart. When
// some packages did not load, it returns the results of the others with a
// *LoadError that names them.
func generate(cfg Config) ([]result, error) {
	patterns := cfg.Patterns
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, &LoadError{Errs: []string{"cleanupgen: " + err.Error()}}
	}
	output := cfg.Output
	if output == "" {
		output = DefaultOutput
	}
	// -output is a file name, or a path into the one package's directory.
	outputDir := ""
	if filepath.Base(output) != output {
		outputDir = filepath.Dir(output)
		if !filepath.IsAbs(outputDir) {
			outputDir = filepath.Join(dir, outputDir)
		}
		output = filepath.Base(output)
	}
	if err := checkOutputName(output); err != nil {
		return nil, &UsageError{Msg: err.Error()}
	}
	patterns = filePackages(dir, patterns)
	ld := &loader{dir: dir, patterns: patterns, tags: cfg.Tags, names: newOutputNames(output)}
	logf("loading %s", strings.Join(patterns, " "))
	res, err := ld.load()
	if res == nil {
		return nil, err
	}
	var partial error
	if err != nil {
		partial = err
	}
	if outputDir != "" {
		if err := checkOutputDir(cfg.Output, outputDir, res); err != nil {
			return nil, err
		}
	}

	var results []result
	outputs := map[string][]byte{}
	changed := map[string]bool{}
	failed := false
	for _, u := range res.units {
		p, ds := check(u.l)
		// ours: a file at the output path is in the load with the Header (a
		// stub, or a generated file that this run rewrites or removes).
		ours := u.l.generated[u.path]
		old, readErr := os.ReadFile(u.path)
		if len(p.Clients) == 0 && len(ds) == 0 && !ours {
			continue // nothing to write and nothing of ours to remove
		}
		logf("%s: %d client(s) for %s", p.Path, len(p.Clients), relPath(u.path))
		f := file{Package: p.Path, Path: u.path}
		if len(ds) == 0 && len(p.Clients) > 0 {
			f.Content, err = emit(p)
			if err != nil {
				return nil, err
			}
			f.Content = withBuildLine(f.Content, u.build)
			if testHookOutput != nil {
				f.Content = testHookOutput(u.path, f.Content)
			}
		}
		// A file we may not overwrite or remove is a mistake like any other.
		if readErr == nil && !hasHeaderSource(old) && (len(p.Clients) > 0 || len(ds) > 0) {
			ds = append(ds, Diagnostic{Pos: positionOf(u.path), Msg: fmt.Sprintf("%s exists and lacks the header %q; cleanupgen will not overwrite it: move it away or choose another -output", filepath.Base(u.path), Header)})
		}
		if len(ds) > 0 {
			f.Content = nil
			failed = true
		}
		if ours {
			outputs[u.path] = f.Content
			changed[u.path] = readErr != nil || f.Content == nil || !SameGenerated(old, f.Content)
		}
		results = append(results, result{file: f, diags: ds})
	}
	for _, o := range res.orphans {
		outputs[o.path] = nil
		changed[o.path] = true
		results = append(results, result{file: file{Package: o.pkg, Path: o.path}})
	}
	// Every package has a result for its default output, as a package
	// without clients always had, unless a file that is not ours holds
	// the name in another build configuration.
	has := map[string]bool{}
	for _, r := range results {
		has[r.file.Path] = true
	}
	for _, pkg := range res.packages {
		path := filepath.Join(pkg.dir, output)
		if has[path] {
			continue
		}
		if old, err := os.ReadFile(path); err == nil && hasHeaderSource(old) {
			continue
		}
		has[path] = true
		results = append(results, result{file: file{Package: pkg.path, Path: path}})
	}
	// By directory, the package's default output last: a caller that
	// keeps one result per directory keeps that one.
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i].file.Path, results[j].file.Path
		if da, db := filepath.Dir(a), filepath.Dir(b); da != db {
			return da < db
		}
		if ma, mb := filepath.Base(a) == output, filepath.Base(b) == output; ma != mb {
			return mb
		}
		return a < b
	})
	if !failed {
		// What would be written compiles, with the package and with its
		// tests, or nothing is written.
		if err := checkOutputs(res.variants, outputs, changed, res.stubs); err != nil {
			return nil, err
		}
	}
	return results, partial
}

// filePackages replaces each pattern that names a .go file (what $GOFILE
// gives a //go:generate line) with the directory of the file, relative to
// dir: cleanupgen generates the file's package. Given files, the go command
// would make them a package of their own outside the module.
func filePackages(dir string, patterns []string) []string {
	out := make([]string, 0, len(patterns))
	seen := map[string]bool{}
	for _, pat := range patterns {
		if strings.HasSuffix(pat, ".go") {
			path := pat
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
				pat = "."
				if rel, err := filepath.Rel(dir, filepath.Dir(path)); err == nil && rel != "." && filepath.IsLocal(rel) {
					pat = "./" + filepath.ToSlash(rel)
				} else if rel != "." {
					pat = filepath.Dir(path)
				}
			}
		}
		if !seen[pat] {
			seen[pat] = true
			out = append(out, pat)
		}
	}
	return out
}

// checkOutputDir refuses a -output path outside the directory of the one
// package the run generates for: a generated file belongs beside the
// structs it serves, in their package.
func checkOutputDir(output, dir string, res *loadResult) error {
	dirs := map[string]bool{}
	for _, u := range res.units {
		dirs[filepath.Dir(u.path)] = true
	}
	for _, o := range res.orphans {
		dirs[filepath.Dir(o.path)] = true
	}
	if len(dirs) > 1 {
		return &UsageError{Msg: fmt.Sprintf("-output %s names a path, but %d packages match; give a file name or one package", output, len(dirs))}
	}
	for d := range dirs {
		if d != filepath.Clean(dir) {
			return &UsageError{Msg: fmt.Sprintf("-output %s is not in the package's directory %s; a generated file must be beside the structs it serves: give a file name", output, relPath(d))}
		}
	}
	return nil
}

// Run generates and then writes each package's file (atomically, and only
// when its bytes change), removes stale generated files of packages without
// clients, or, with cfg.Check, only compares. It returns nil when everything
// is done or up to date.
//
// Otherwise its error is a *UsageError (cfg itself is wrong), a *LoadError
// (packages that could not be loaded), Diagnostics (every mistake in the
// directives of every package) or an *InternalError (the generated code does
// not compile), and then nothing is written, except that the packages a
// *LoadError does not name are done; or the error of reading, writing or
// removing a file, which stops the run there. With cfg.Check, the files that are
// missing, stale or extra are reported by an error that wraps ErrStale, one
// per line: "\tPATH: missing", "\tPATH: stale" or "\tPATH: extra: ...".
func Run(cfg Config) error {
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	files, err := generateFiles(cfg)
	var partial *LoadError
	if err != nil && (files == nil || !errors.As(err, &partial)) {
		return err
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	var stale []string
	for _, f := range files {
		old, err := os.ReadFile(f.Path)
		exists := err == nil
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		rel := relPath(f.Path)
		switch {
		case f.Content == nil && !exists:
			continue
		case f.Content == nil && !hasHeaderSource(old):
			// Not ours, and no client wants the name: leave it alone.
			continue
		case f.Content == nil && isTombstone(old) && (cfg.Check || underGoGenerate()):
			// Emptied by a run under go generate (below): current until a
			// run outside go generate removes it.
			continue
		case f.Content == nil:
			if cfg.Check {
				stale = append(stale, rel+": extra: no //cleanup:client is generated into it")
				continue
			}
			if t := tombstone(old); t != nil && underGoGenerate() {
				// go generate lists every file of the packages before it runs
				// their commands, then reads each, and stops with exit status
				// 1 at a file that a command removed. So the file is emptied
				// instead: it declares nothing, compiles in its configuration,
				// and a run outside go generate removes it.
				if err := writeAtomic(f.Path, t); err != nil {
					return err
				}
				if cfg.Warnf != nil {
					cfg.Warnf("emptied %s rather than removing it: no //cleanup:client is generated into it, and go generate would fail reading it; a run outside go generate removes it", rel)
				} else {
					logf("emptied %s: no //cleanup:client is generated into it, and go generate will read it", rel)
				}
				continue
			}
			logf("removing %s: no //cleanup:client is generated into it", rel)
			if err := os.Remove(f.Path); err != nil {
				return err
			}
		case exists && SameGenerated(old, f.Content):
			logf("%s is up to date", rel)
		case cfg.Check && !exists:
			stale = append(stale, rel+": missing")
		case cfg.Check:
			stale = append(stale, rel+": stale")
		default:
			logf("writing %s", rel)
			if err := writeAtomic(f.Path, f.Content); err != nil {
				return err
			}
		}
	}
	var staleErr error
	if len(stale) > 0 {
		staleErr = fmt.Errorf("%w:\n\t%s", ErrStale, strings.Join(stale, "\n\t"))
	}
	if partial != nil {
		// The packages that loaded are done; the run still failed.
		return errors.Join(partial, staleErr)
	}
	return staleErr
}

// underGoGenerate reports whether go generate runs this process: it sets
// GOFILE and GOPACKAGE for each command.
func underGoGenerate() bool {
	return os.Getenv("GOFILE") != "" && os.Getenv("GOPACKAGE") != ""
}

// tombstoneNote follows the package clause of an emptied generated file.
const tombstoneNote = "// No //cleanup:client is generated into this file any more. cleanupgen,\n" +
	"// run by go generate, emptied it rather than removing it, because go\n" +
	"// generate reads every file of the package it listed. A run of cleanupgen\n" +
	"// outside go generate removes it.\n"

// tombstone is what a generated file (old) becomes when nothing is
// generated into it any more under go generate: the header, its //go:build
// line, its package clause and a note.
func tombstone(old []byte) []byte {
	f, err := parser.ParseFile(token.NewFileSet(), "", old, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return nil
	}
	return withBuildLine([]byte(Header+"\n\npackage "+f.Name.Name+"\n\n"+tombstoneNote), buildLine(f))
}

// isTombstone reports whether src is a generated file that a run under go
// generate emptied.
func isTombstone(src []byte) bool {
	if !hasHeaderSource(src) || !bytes.Contains(src, []byte(tombstoneNote[:strings.IndexByte(tombstoneNote, '\n')])) {
		return false
	}
	f, err := parser.ParseFile(token.NewFileSet(), "", src, parser.SkipObjectResolution)
	return err == nil && len(f.Decls) == 0
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path, so a reader never sees a half-written file.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
