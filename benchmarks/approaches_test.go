package benchmarks

import (
	"testing"
	"time"
)

// TestApproaches checks that every approach closes working resources
// without an error, and that those with a deadline return by it, with an
// error, when a resource hangs.
func TestApproaches(t *testing.T) {
	const deadline = 20 * time.Millisecond
	for _, a := range Approaches {
		for _, n := range []int{1, 8, 64} {
			closeFn, err := a.Prepare(NewResources(n, Noop, nil), ClientTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if closeFn == nil {
				continue // no such client
			}
			if err := closeFn(); err != nil {
				t.Errorf("%s, %d no-op resources: %v", a.Name, n, err)
			}
			if !a.Deadline {
				continue
			}
			release := make(chan struct{})
			closeFn, err = a.Prepare(NewResources(n, Hung, release), deadline)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			err = closeFn()
			took := time.Since(start)
			close(release)
			if err == nil {
				t.Errorf("%s, %d hung resources: nil error", a.Name, n)
			}
			if took > deadline+100*time.Millisecond {
				t.Errorf("%s, %d hung resources: returned after %v, deadline %v", a.Name, n, took, deadline)
			}
		}
	}
}
