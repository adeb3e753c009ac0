package cleanupcheck

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestDoc: the Analyzer's Doc is the "# Analyzer cleanupcheck" section of
// doc.go's package comment, whole: its summary line first, then every
// paragraph of the reference down to the last.
func TestDoc(t *testing.T) {
	assert.True(t, strings.HasPrefix(Analyzer.Doc, "report resources of //cleanup:client structs that no directive tears down\n\ncleanupcheck is an adoption assistant"), "%.200s", Analyzer.Doc)
	for _, p := range []string{"\nResources. ", "\nGoroutines. ", "\nUsing a client. ", "\nCategories. ", "\nSuppression. "} {
		assert.Contains(t, Analyzer.Doc, p)
	}
	assert.True(t, strings.HasSuffix(Analyzer.Doc, "analysed for their other files."), "%s", Analyzer.Doc[len(Analyzer.Doc)-200:])
	assert.NotContains(t, Analyzer.Doc, "//   -", "comment markers left in")
}

// TestMustExtractDoc: a doc.go without the section panics, at init, rather
// than leaving the Analyzer without a Doc.
func TestMustExtractDoc(t *testing.T) {
	assert.Equal(t, "says hello\n\nat length.", mustExtractDoc("// Package p.\n//\n// # Analyzer x\n//\n// x: says hello\n//\n// at length.\npackage p\n", "x"))
	assert.Panics(t, func() { mustExtractDoc("// Package p.\npackage p\n", "x") })
	assert.Panics(t, func() { mustExtractDoc("// Package p.\n//\n// # Analyzer x\n//\n// says hello\npackage p\n", "x") })
}
