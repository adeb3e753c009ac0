package cleanuptest

import (
	"testing"

	"go.uber.org/goleak"
)

// VerifyNone releases every fake made with t ([Hang], [Slow],
// [IgnoreContext]) and then reports to t, with t.Error, each goroutine
// still running but the test's own, as goleak.VerifyNone does (opts are
// goleak's). The runtime's event delivery goroutine is ignored.
//
// It is the leak check for tests that use the fakes: the fakes release
// their calls when the test ends, by t.Cleanup, and a deferred call runs
// before the test's cleanups, so that
//
//	defer goleak.VerifyNone(t)
//	db := cleanuptest.Hang(t)
//
// finds the step abandoned on db still blocked in it and fails. Either
// of these works:
//
//	defer cleanuptest.VerifyNone(t)               // releases db first
//	t.Cleanup(func() { goleak.VerifyNone(t) })    // before the fakes are made: cleanups run last-in first-out
//
// as does goleak.VerifyTestMain(m) in TestMain, which checks once every
// test has ended. Like goleak.VerifyNone, it sees every goroutine of the
// process: it is not for tests that run in parallel. In a testing/synctest
// bubble it is not needed: synctest.Test fails a test that leaves
// goroutines of its bubble blocked.
func VerifyNone(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	releaseFakes(t)
	if err := goleak.Find(append([]goleak.Option{ignoreDelivery}, opts...)...); err != nil {
		t.Error(err)
	}
}
