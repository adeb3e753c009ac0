// Package noclient has no client: cleanupgen writes no file for it.
package noclient

type Plain struct {
	n int
}
