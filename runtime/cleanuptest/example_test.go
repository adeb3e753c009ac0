package cleanuptest_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cleanupgen/cleanupgen/runtime"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest"
	"github.com/cleanupgen/cleanupgen/runtime/cleanuptest/internal/store"
)

// The tests of a generated client, store.Store: its index is closed with
// "//cleanup:close Shutdown force=Kill timeout=200ms", its database with
// "//cleanup:close", within a second in all.
func Example() {
	// It closes cleanly, once, with healthy resources; and with an index
	// that ignores its context too, since Kill stops it after 200ms.
	testStoreCloses := func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			index := cleanuptest.IgnoreContext(t, time.Hour)
			s := store.New(cleanuptest.OK(), index)
			cleanuptest.AssertClosesCleanly(t, s, cleanuptest.Timeout(time.Second))
			assert.True(t, index.Killed())
		})
	}

	// A database that hangs does not hang Close: it is abandoned at the
	// deadline and named in the error.
	testStoreHungDB := func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			db := cleanuptest.Hang(t) // released when the test ends
			err := store.New(db, cleanuptest.OK()).Close()
			var ce *runtime.CleanupError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, "db", ce.Tasks[0].Name)
			assert.Equal(t, runtime.StateAbandoned, ce.Tasks[0].State)
		})
	}

	// In a _test.go file these are func TestStoreCloses(t *testing.T) and
	// func TestStoreHungDB(t *testing.T).
	_, _ = testStoreCloses, testStoreHungDB
}
