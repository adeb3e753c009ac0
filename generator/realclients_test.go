package generator

import (
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRealClientsRun runs the tests of ../testdata/realclients against its
// generated file, under -race: channels closed by //cleanup:close, fields
// kept by drop=false while a goroutine of the client reads them, a
// *time.Timer stopped, a method with no result called, and method= clients
// closed through their own Close.
func TestRealClientsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test")
	}
	cmd := exec.Command("go", "test", "-race", "-count=1", "./testdata/realclients")
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go test:\n%s", out)
}
