package runtime

import (
	"bytes"
	"context"
	goruntime "runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Where an abandoned step is stuck: when a teardown abandons steps, a
// goroutine of its own (never the caller's) takes a goroutine profile, at
// most once every probeEvery process-wide, finds the goroutines that run
// the steps by their pprof labels, cleanup.client and cleanup.step, and
// keeps the top frames of each. The teardown's log events, its Report and
// Abandoned carry them. Several teardowns of one client type stuck in one
// step share labels: each gets the stack of the first such goroutine the
// profile lists.

// probeEvery is the least time between two goroutine profiles.
var probeEvery = time.Second

// A goroutine profile costs in proportion to the goroutines, and on the
// cores that the callers of teardowns abandoned at the same deadline need
// to return: with more than crowd goroutines, the profile first lets every
// runnable goroutine run, yieldRounds times over, so that those callers
// return first; the teardown's events wait with it. Yielding, not sleeping:
// a sleep would hold a testing/synctest bubble open past its test.
const (
	crowd       = 1000
	yieldRounds = 100
)

// stackDepth is how many frames a stack keeps.
const stackDepth = 5

// lastProbe is when the last goroutine profile was taken, in Unix
// nanoseconds.
var lastProbe atomic.Int64

// stepKey is what the pprof labels of a step's goroutine say.
type stepKey struct{ client, step string }

// probeDue reports whether a goroutine profile may be taken at now, and if
// so records that one is: none was taken in the last probeEvery. It only
// swaps a word, so that a caller at its deadline can ask; the caller gives
// the time it has read already.
func probeDue(at time.Time) bool {
	now := at.UnixNano()
	last := lastProbe.Load()
	// A clock that went back (a testing/synctest bubble has its own) does
	// not hold the profile back.
	if now-last < int64(probeEvery) && now >= last {
		return false
	}
	return lastProbe.CompareAndSwap(last, now)
}

// takeStacks returns the top frames of the goroutines that run teardown
// steps, by client and step, from a goroutine profile taken now.
func takeStacks() map[stepKey][]string {
	var buf bytes.Buffer
	if err := pprof.Lookup("goroutine").WriteTo(&buf, 1); err != nil {
		return nil
	}
	return parseStacks(buf.String())
}

// parseStacks reads a goroutine profile written with debug=1: records
// separated by blank lines, each with a "# labels:" line and frame lines
// "#\t0xPC\tfunc+0xOFF\tfile:line".
func parseStacks(profile string) map[stepKey][]string {
	stacks := make(map[stepKey][]string)
	for _, rec := range strings.Split(profile, "\n\n") {
		var key stepKey
		var frames []string
		for _, line := range strings.Split(rec, "\n") {
			if l, ok := strings.CutPrefix(line, "# labels: "); ok {
				key = stepLabels(l)
				continue
			}
			if !strings.HasPrefix(line, "#\t0x") || len(frames) == stackDepth {
				continue
			}
			fields := strings.Fields(line)
			if len(fields) < 3 {
				continue
			}
			if fn, ok := frameName(fields[2]); ok {
				frames = append(frames, fn)
			}
		}
		if key.client == "" || len(frames) == 0 {
			continue
		}
		if _, seen := stacks[key]; !seen {
			stacks[key] = frames
		}
	}
	return stacks
}

// stepLabels returns the cleanup.client and cleanup.step labels of a
// profile's labels line, {"k":"v", "k2":"v2"}.
func stepLabels(l string) stepKey {
	var key stepKey
	l = strings.TrimSuffix(strings.TrimPrefix(l, "{"), "}")
	for l != "" {
		k, rest, ok := unquotePrefix(l)
		if !ok || !strings.HasPrefix(rest, ":") {
			break
		}
		v, rest, ok := unquotePrefix(rest[1:])
		if !ok {
			break
		}
		switch k {
		case "cleanup.client":
			key.client = v
		case "cleanup.step":
			key.step = v
		}
		l = strings.TrimPrefix(rest, ", ")
	}
	return key
}

// unquotePrefix unquotes the Go string literal that s starts with and
// returns the rest.
func unquotePrefix(s string) (string, string, bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", "", false
	}
	v, err := strconv.Unquote(q)
	return v, s[len(q):], err == nil
}

// ownPackage is the prefix of this package's function names.
const ownPackage = "github.com/cleanupgen/cleanupgen/runtime."

// frameName returns the function of a frame, such as net.(*conn).Read
// for "net.(*conn).Read+0x2a", with its package path shortened to the
// package's name, and false for frames that say nothing of where a step is
// stuck: the Go runtime's and this package's own.
func frameName(f string) (string, bool) {
	if i := strings.LastIndex(f, "+0x"); i > 0 {
		f = f[:i]
	}
	if strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "runtime/") ||
		strings.HasPrefix(f, "internal/") || strings.HasPrefix(f, ownPackage) ||
		strings.Contains(f, ".runtime_") { // sync.runtime_SemacquireWaitGroup and the like
		return "", false
	}
	path := f
	if i := strings.IndexAny(path, "(["); i >= 0 {
		path = path[:i]
	}
	if i := strings.LastIndex(path, "/"); i >= 0 {
		f = f[i+1:]
	}
	return f, true
}

// startProbe starts, when a profile is due at now, a goroutine that finds where
// the steps of a teardown that abandoned some are stuck, records them with
// record and then closes the channel it returns, for which the teardown's
// Report waits. It returns nil when no profile is due: the teardown's
// stacks stay unknown, and no goroutine is started for it.
func startProbe(now time.Time, record func(map[stepKey][]string)) chan struct{} {
	if !probeDue(now) {
		return nil
	}
	done := make(chan struct{})
	go func() {
		// A goroutine inherits the labels of the one that started it: the
		// profile must not find this one for a step.
		pprof.SetGoroutineLabels(context.Background())
		defer close(done)
		if goruntime.NumGoroutine() > crowd {
			for range yieldRounds {
				goruntime.Gosched()
			}
		}
		if stacks := takeStacks(); stacks != nil {
			record(stacks)
		}
	}()
	return done
}
