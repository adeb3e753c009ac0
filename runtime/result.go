package runtime

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is how a teardown step ended.
type State uint8

const (
	// StateOK: the step returned nil within its budget.
	StateOK State = iota
	// StateFailed: the step returned an error within its budget.
	StateFailed
	// StatePanicked: the step panicked; its error is a *[PanicError].
	StatePanicked
	// StateTimedOut: the step ran past its own budget (timeout=) and then
	// returned before the caller did, or returned its context's deadline
	// error (or cause) once its context had expired: it stopped because its
	// time ran out, not because it failed. Its error is what it returned, or
	// an error matching [context.DeadlineExceeded] when it returned nil.
	StateTimedOut
	// StateForced: the step ran past its budget, its force method was called
	// and returned nil.
	StateForced
	// StateAbandoned: the step was still running when the caller returned at
	// the deadline. It goes on running and is listed by [Abandoned] until it
	// returns.
	StateAbandoned
	// StateNotStarted: the step had not started when the deadline came: it
	// did not hang, it had no time. It is started then, with the expired
	// context, so that what it releases is released, and is not waited for.
	// Its error is the cause of the deadline.
	StateNotStarted
)

var stateNames = [...]string{
	StateOK:         "ok",
	StateFailed:     "failed",
	StatePanicked:   "panicked",
	StateTimedOut:   "timed out",
	StateForced:     "forced",
	StateAbandoned:  "abandoned",
	StateNotStarted: "not started by the deadline",
}

// String returns the state's name: "ok", "failed", "panicked", "timed out",
// "forced", "abandoned" or "not started by the deadline".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// failed reports whether a step in state s makes its teardown fail.
func (s State) failed() bool {
	return s != StateOK && s != StateForced
}

// TaskResult is the outcome of one teardown step.
type TaskResult struct {
	// Name is the step's name: for generated code the field's name, or an
	// element of it such as items[3] or byName["a"].
	Name string
	// State is how the step ended.
	State State
	// Duration is how long the step ran, up to the moment it returned or,
	// for an abandoned step, up to the moment it was abandoned.
	Duration time.Duration
	// Err is the step's error; nil for StateOK and, usually, StateForced.
	// For an abandoned step it is the cause of the deadline: an error for
	// which errors.Is(err, context.DeadlineExceeded) holds, or the cause with
	// which the caller's context was cancelled.
	Err error
}

// String formats r as "name: state after duration: error"; a step not
// started by the deadline has neither duration nor error in it.
func (r TaskResult) String() string {
	if r.State == StateNotStarted {
		return r.Name + ": " + r.State.String()
	}
	if r.Err == nil {
		return fmt.Sprintf("%s: %s after %v", r.Name, r.State, r.Duration)
	}
	return fmt.Sprintf("%s: %s after %v: %v", r.Name, r.State, r.Duration, r.Err)
}

// CleanupError is the error of a teardown in which at least one step failed,
// panicked, timed out or was abandoned.
//
// errors.Is and errors.As see through it to each step's error: in particular
// errors.Is(err, context.DeadlineExceeded) holds when the deadline cut a step
// short.
type CleanupError struct {
	// Type names what was torn down: for generated code the client type, as
	// "package.Type".
	Type string
	// Tasks are the steps that did not succeed, in the order of the plan (or
	// of Manager.Go calls). Steps that succeeded or were forced successfully
	// are not listed.
	Tasks []TaskResult
}

// Error lists the type and every step that did not succeed, with its state,
// duration and error. The message is built when Error is called, not when
// the teardown ends.
func (e *CleanupError) Error() string {
	var b strings.Builder
	b.WriteString("cleanup ")
	b.WriteString(e.Type)
	b.WriteString(": ")
	switch len(e.Tasks) {
	case 0:
		b.WriteString("failed")
	case 1:
		b.WriteString("1 step did not succeed: ")
	default:
		fmt.Fprintf(&b, "%d steps did not succeed: ", len(e.Tasks))
	}
	for i, t := range e.Tasks {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// Unwrap returns the error of each listed step.
func (e *CleanupError) Unwrap() []error {
	errs := make([]error, 0, len(e.Tasks))
	for _, t := range e.Tasks {
		if t.Err != nil {
			errs = append(errs, t.Err)
		}
	}
	return errs
}

// PanicError is the error of a step that panicked.
type PanicError struct {
	// Value is the value the step panicked with.
	Value any
	// Stack is the step goroutine's stack at the panic.
	Stack []byte
}

// Error returns "panic: " and the panic value.
func (e *PanicError) Error() string {
	return fmt.Sprintf("panic: %v", e.Value)
}

// Unwrap returns the panic value when it is an error, so that errors.Is and
// errors.As see through a panic(err).
func (e *PanicError) Unwrap() error {
	err, _ := e.Value.(error)
	return err
}

// report returns nil when every result succeeded, and otherwise a
// *CleanupError listing the ones that did not.
func report(typ string, results []TaskResult) error {
	n := 0
	for _, r := range results {
		if r.State.failed() {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	failed := make([]TaskResult, 0, n)
	for _, r := range results {
		if r.State.failed() {
			failed = append(failed, r)
		}
	}
	return &CleanupError{Type: typ, Tasks: failed}
}
