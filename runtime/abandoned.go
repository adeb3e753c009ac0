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
	// Client names what was being torn down: the client type of generated
	// code, or the name given to a Manager by [WithName].
	Client string
	// Step is the step's name.
	Step string
	// Started is when the step started.
	Started time.Time
}

// abandoned is the process-wide set behind Abandoned.
var abandoned struct {
	mu    sync.Mutex
	tasks map[*AbandonedTask]struct{}
}

// Abandoned returns the teardown steps of this process that are still
// running after their caller returned at its deadline, oldest first. A step
// leaves the list when it returns. A growing list is a leak worth a look: it
// names the client and step that would not stop.
func Abandoned() []AbandonedTask {
	abandoned.mu.Lock()
	list := make([]AbandonedTask, 0, len(abandoned.tasks))
	for t := range abandoned.tasks {
		list = append(list, *t)
	}
	abandoned.mu.Unlock()
	slices.SortFunc(list, func(a, b AbandonedTask) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.Client, b.Client), cmp.Compare(a.Step, b.Step))
	})
	return list
}

// abandon adds a step to the list and returns its entry, for release.
func abandon(client, step string, started time.Time) *AbandonedTask {
	t := &AbandonedTask{Client: client, Step: step, Started: started}
	abandoned.mu.Lock()
	if abandoned.tasks == nil {
		abandoned.tasks = make(map[*AbandonedTask]struct{})
	}
	abandoned.tasks[t] = struct{}{}
	abandoned.mu.Unlock()
	return t
}

// release removes a step that has returned from the list.
func release(t *AbandonedTask) {
	abandoned.mu.Lock()
	delete(abandoned.tasks, t)
	abandoned.mu.Unlock()
}
