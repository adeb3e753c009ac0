package generator

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requireCgo skips the test where cgo is unavailable: CGO_ENABLED=0, or no
// C compiler.
func requireCgo(t *testing.T) {
	t.Helper()
	out, err := exec.Command("go", "env", "CGO_ENABLED", "CC").Output()
	require.NoError(t, err)
	env := strings.Fields(string(out))
	if len(env) < 2 || env[0] != "1" {
		t.Skip("cgo is disabled (CGO_ENABLED=0)")
	}
	if _, err := exec.LookPath(env[1]); err != nil {
		t.Skipf("no C compiler: %v", err)
	}
}

// TestCgo: clients declared in files that import "C" are generated like
// any other, beside the file, with its build constraint, also when the
// package already uses the generated methods; a field of a C type is
// managed too.
func TestCgo(t *testing.T) {
	requireCgo(t)
	const preamble = `
/*
#include <stdlib.h>
typedef struct db { int x; } db;
*/
import "C"
`
	db := strings.Replace(clientSource("wrap", "DB", `
var _ io.Closer = (*DB)(nil)

func (d *DB) Free() { C.free(nil) }
`), "import (", preamble+"\nimport (", 1)
	db = strings.Replace(db, "body io.Closer", "body io.Closer\n\t//cleanup:nil\n\th *C.db", 1)
	dir := layoutModule(t, map[string]string{
		"wrap/db.go":    db,
		"wrap/stmt.go":  "//go:build cgo\n\n" + strings.Replace(clientSource("wrap", "Stmt", ""), "import (", "import \"C\"\n\nimport (", 1),
		"wrap/plain.go": "package wrap\n\nfunc Use(s *Stmt) error { return s.Close() }\n",
	})
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}}))
	assert.Contains(t, readFile(t, filepath.Join(dir, "wrap", DefaultOutput)), "func (x *DB) Close() error")
	stmt := readFile(t, filepath.Join(dir, "wrap", "zz_generated_cleanup_stmt.go"))
	assert.Contains(t, stmt, "func (x *Stmt) Close() error")
	assert.True(t, strings.HasPrefix(stmt, Header+"\n\n//go:build cgo\n"), stmt)
	require.NoError(t, Run(Config{Dir: dir, Patterns: []string{"./..."}, Check: true}))
	requireBuilds(t, dir, "./...")
	out, err := goCmd(t, dir, "build", "./...")
	require.NoError(t, err, "go build:\n%s", out)
}
