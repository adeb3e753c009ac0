// Package cleanupcheck defines an Analyzer that finds the resources of
// //cleanup:client structs that nobody tears down, and the uses of a
// client that break the contract of its generated Close. Command
// github.com/cleanupgen/cleanupgen/cmd/cleanupcheck runs it.
//
// # Analyzer cleanupcheck
//
// cleanupcheck: report resources of //cleanup:client structs that no directive tears down
//
// cleanupcheck is an adoption assistant: on a struct marked //cleanup:client
// alone, one cleanupcheck -fix run writes the runtime.Guard field, every
// directive with the order=, lock= and drop=false it needs, and Enter and
// Leave (or EnterContext) in the methods, so that after cleanupgen a healthy
// instance closes with nil. Every finding has a fix, or says why none fits.
//
// Resources. A field of a //cleanup:client struct that holds a resource and
// carries no //cleanup: directive is left open by the generated Close.
// cleanupcheck reports, at the field, each one that holds:
//
//   - a value with a Close, Shutdown or Stop method that //cleanup:close can
//     call, an unexported close, shutdown or stop, a forceClose (preferred:
//     a multiplexed stream's graceful Close writes to a connection that may
//     be closed by then), or CloseIdleConnections (an *http.Client); or a
//     slice, array or map of them;
//   - a context.CancelFunc, or a func() that the package stores from a call
//     (an unsubscribe) or names as a teardown (cancel..., stop..., close...,
//     onClose, unsub..., release..., cleanup...);
//   - a *time.Ticker or *time.Timer (//cleanup:close Stop; the bool that
//     Timer.Stop returns is ignored), or a collection of timers;
//   - a sync.WaitGroup or *sync.WaitGroup;
//   - a channel that the package makes: //cleanup:wait when a goroutine of
//     the package closes it as it ends (defer close(done)); //cleanup:close
//     when other code closes it (the close(quit) of a hand-written Close) or
//     when a goroutine receives from it and none sends on it (a quit channel,
//     a queue the methods fill). A channel nobody closes is not reported:
//     waiting for it would take the whole deadline; nor one a goroutine sends
//     on: closing it would crash that goroutine;
//   - a *sql.Tx (Rollback), *bufio.Writer (Flush), *exec.Cmd (Wait) or
//     *os.Process (Kill);
//   - a context.CancelCauseFunc, a collection of func(), or an
//     *http.Response, which no directive serves as they are: the message
//     says what to hold instead.
//
// Types whose Close is not a resource's are never reported: reflect.Value
// (its Close closes the channel it holds and panics on the zero Value).
//
// Goroutines. cleanupcheck follows the goroutines that the client's methods
// and constructors start (go statements, WaitGroup.Go, time.AfterFunc and
// context.AfterFunc funcs), through the package's functions they call, and
// the locals and parameters that hold the client's fields: which fields they
// read, what they block on (a Read, Accept or Receive on a field, a receive
// from a channel field or a ticker's C, io.ReadFull or bufio.NewReader of a
// field), and which WaitGroup or channel they signal (Done, close). A goroutine
// is waited for when a wait step waits for what it signals. Then:
//
//   - a close or cancel that a waited goroutine blocks on gets order=0, and
//     a wait after a close directed in a later phase gets the phase after
//     it: the goroutine ends only once the resource is closed, so waiting
//     first would last the whole deadline (a directed close in a phase not
//     before the wait's is reported, with the fix that adds order=);
//   - a channel that the client closes gets order=0 whoever receives from
//     it: it is a quit signal or a queue, and the close of a channel is
//     never started after the deadline, so a later phase might never close
//     it;
//   - a listener or server (a type with Accept, Serve or ListenAndServe) of
//     a client that waits gets order=0 too;
//   - a field that a goroutine nothing waits for reads gets drop=false (and
//     a directive without it is reported, with the fix that adds it):
//     setting it to its zero value after Close races with that goroutine,
//     or crashes it with a nil dereference. So does a field that a goroutine
//     reads which only a wait on a channel waits for: that wait returns at
//     the deadline with the goroutine still running, where a wait on a
//     WaitGroup is abandoned and holds the drop back until it returns;
//   - a field that the package writes while it holds a sync.Mutex or
//     sync.RWMutex field of the client (embedded or not, in the function or
//     in a caller that holds it) gets lock= with that field.
//
// A field that points back at a struct type that holds the client (its
// owner) gets //cleanup:ignore: closing it would close the owner from the
// child.
//
// The client. A //cleanup:client struct without a runtime.Guard field gets
// one (guard runtime.Guard, first in the struct, and the import). A type
// whose own Close has another signature than Close() error (Close() with no
// result, as pgxpool and nats.go have) gets //cleanup:client
// method=closeContext, and its Close calls closeContext: the generated
// method does what its body did, under a deadline.
//
// Using a client. Between x.guard.Enter() and x.guard.Leave() (the end of the
// function when Leave is deferred), cleanupcheck reports:
//
//   - x.Close() or x.CloseContext(ctx) called by the same function: Close
//     waits for the calls in flight to leave, this one among them, so it
//     takes the whole deadline and fails. The fix closes in a goroutine
//     (go x.Close()); closing after Leave is the other way out.
//   - a write of a managed field (assigned, incremented, or its map or slice
//     written, deleted from or cleared), in the function or in a function of
//     the package it calls, whose directive has no lock=: the teardown may
//     read and drop it while the call is inside. When the write happens
//     under a mutex field of the client, the fix adds lock= with that field.
//
// And an exported method of a client that uses a managed field of its
// receiver (one directed, or one this run directs) without entering the
// guard: a call racing Close uses what the teardown closes and drops. The fix
// begins the method with Enter and a deferred Leave, returning zero values
// (and Enter's error when the last result is an error) once the client is
// closed. A method with a context.Context parameter may block (a Receive, a
// long poll): it enters with EnterContext instead, whose context ends when
// closing begins, so that Close does not wait half its deadline for it. A
// channel result is a closed channel once the client is closed, never nil:
// ranging over a nil channel blocks forever.
//
// The last two rules are on by default; -guard=false turns them off.
//
// Directives and generated files. It also reports the directive mistakes that
// cleanupgen reports, with the same messages, and a generated file that is
// missing or differs from what cleanupgen would write now (run go generate).
// A generated file is recognised by its header ("// Code generated by
// cleanupgen. DO NOT EDIT."), whatever its name (cleanupgen -output). These
// findings are reported in the package's own files, never in the generated
// one (golangci-lint hides findings in generated files), with the category
// "missing" or "stale". A file that differs comes with a fix that rewrites
// it as cleanupgen would (-fix, go vet -fix, go fix -fixtool); a missing
// file, or one that no client needs any more, comes with none: a fix can
// neither create nor remove a file, so cleanupgen has to run.
//
// Before the first generation. Code and tests that call the generated Close do
// not type-check until cleanupgen has run. The analysis runs despite type
// errors, and the cleanupcheck command loads packages as cleanupgen does,
// with stand-ins for the generated files, so that they type-check.
//
// Categories. Each finding carries one, which go vet -json shows:
// "resource" (a field that no directive tears down), "order" (a close not
// in a phase before the wait for a goroutine that blocks on it), "drop" (a
// directive without drop=false on a field that a goroutine reads),
// "directive" (a mistake cleanupgen reports), "close-inside" (Close called
// between Enter and Leave), "write-inside" (a write of a managed field
// without lock=), "unguarded" (an exported method that uses managed fields
// without Enter), and "missing" and "stale" (generated files).
//
// Suppression. //cleanup:ignore on a field says it is not the client's to
// tear down. //nolint:cleanupcheck (or //nolint, //nolint:all, as
// golangci-lint reads them) in the doc or line comment of a field or type,
// or the doc comment of a function, suppresses the reports on it; elsewhere,
// the reports on its line.
//
// Cost. A package with neither a //cleanup: comment nor a generated file
// costs one look at its comments. The directives of _test.go files are not
// checked: test variants of a package are analysed for their other files.
package cleanupcheck

import (
	_ "embed"
	"fmt"
	"go/parser"
	"go/token"
	"strings"
)

// docGo is this file: its package comment is the reference, which go doc
// shows, and its "Analyzer cleanupcheck" section is the Analyzer's Doc,
// which cleanupcheck help shows.
//
//go:embed doc.go
var docGo string

var doc = mustExtractDoc(docGo, "cleanupcheck")

// mustExtractDoc returns the section of the package comment of the Go
// source content that starts with the heading "# Analyzer name" and a line
// "name: summary", without the heading and the "name: " (as
// golang.org/x/tools's own analyzers do). It panics when there is none: the
// package would have no Doc.
func mustExtractDoc(content, name string) string {
	f, err := parser.ParseFile(token.NewFileSet(), "doc.go", content, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil || f.Doc == nil {
		panic(fmt.Sprintf("cleanupcheck: doc.go has no package comment: %v", err))
	}
	for _, section := range strings.Split(f.Doc.Text(), "\n# ") {
		body, ok := strings.CutPrefix(section, "Analyzer "+name+"\n")
		if !ok {
			continue
		}
		if rest, ok := strings.CutPrefix(strings.TrimSpace(body), name+": "); ok {
			return strings.TrimSpace(rest)
		}
	}
	panic(fmt.Sprintf("cleanupcheck: doc.go has no section \"# Analyzer %s\" starting with \"%s: \"", name, name))
}
