package runtime

import (
	"cmp"
	"slices"
	"sync"
	"time"
)

// AbandonedTask is a teardown step that was still running when its caller
// returned at the deadline.
type AbandonedTask struct {
	// Teardown is the [Report.ID] of the teardown the step belongs to.
	Teardown uint64
	// Client names what was being torn down: the client type of generated
	// code, or the name given to a Manager by [WithName].
	Client string
	// Step is the step's name.
	Step string
	// Started is when the step started.
	Started time.Time
	// Stack is where the step was stuck when it was abandoned, as in
	// [StepReport.Stack]; nil when unknown.
	Stack []string
}

// An abandonedSource is a teardown whose caller returned at its deadline
// while some of its steps still ran (or were still to start). It lists
// them when asked, so that the caller registers the teardown in O(1)
// instead of each of its steps.
type abandonedSource interface {
	appendAbandoned(list []AbandonedTask, now time.Time) []AbandonedTask
}

// abandoned is the process-wide set behind Abandoned.
var abandoned struct {
	mu      sync.Mutex
	sources map[abandonedSource]struct{}
}

// Abandoned returns the teardown steps of this process that are still
// running after their caller returned at its deadline, oldest first. A step
// leaves the list when it returns. A step that had not started by the
// deadline, and was started then with the expired context, is listed once
// it has run for [Grace] without returning. A growing list is a leak worth
// a look: it names the client and step that would not stop.
func Abandoned() []AbandonedTask {
	abandoned.mu.Lock()
	sources := make([]abandonedSource, 0, len(abandoned.sources))
	for s := range abandoned.sources {
		sources = append(sources, s)
	}
	abandoned.mu.Unlock()
	now := time.Now()
	var list []AbandonedTask
	for _, s := range sources {
		list = s.appendAbandoned(list, now)
	}
	slices.SortFunc(list, func(a, b AbandonedTask) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.Client, b.Client), cmp.Compare(a.Step, b.Step))
	})
	return list
}

// registerAbandoned adds s to the set.
func registerAbandoned(s abandonedSource) {
	abandoned.mu.Lock()
	if abandoned.sources == nil {
		abandoned.sources = make(map[abandonedSource]struct{})
	}
	abandoned.sources[s] = struct{}{}
	abandoned.mu.Unlock()
}

// unregisterAbandoned removes s, none of whose steps runs any more.
func unregisterAbandoned(s abandonedSource) {
	abandoned.mu.Lock()
	delete(abandoned.sources, s)
	abandoned.mu.Unlock()
}
