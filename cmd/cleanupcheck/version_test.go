package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVersion builds cleanupcheck inside this repository and runs
// -version: it prints the module's version, (devel) here, and exits 0
// without loading any package.
func TestVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cleanupcheck")
	out, err := exec.Command("go", "build", "-buildvcs=false", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build:\n%s", out)
	out, err = exec.Command(bin, "-version").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "cleanupcheck github.com/cleanupgen/cleanupgen (devel)\n", string(out))
}
