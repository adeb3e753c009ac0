package generator

import (
	"go/token"
	"go/types"
	"time"
)

// The model is what the checker builds and the emitter reads: plain data, no
// syntax. Types are kept as go/types values so that the emitter can spell them.

// Package is one package to generate for.
type Package struct {
	Name    string
	Path    string
	Dir     string
	Types   *types.Package
	Clients []*Client // in source order

	// names holds every name declared at package level in the package's
	// directory, in any file and any build configuration, outside generated
	// files, and every type parameter name of a client: the generated
	// package-level names, import names and local names avoid them.
	names map[string]bool
}

// Client is one //cleanup:client struct type.
type Client struct {
	Name       string             // T
	Pos        token.Pos          // the //cleanup:client directive
	TypeParams []*types.TypeParam // nil unless generic
	// TypeParamNames name TypeParams in the generated declarations: their
	// own names, and a free one for a blank parameter (type Client[_ any]).
	TypeParamNames []string
	Timeout        time.Duration
	// Method is method= of //cleanup:client: the name of the one generated
	// method, NAME(ctx context.Context) error, instead of Close and
	// CloseContext; "" for those two.
	Method string
	Guard  string // the runtime.Guard field's name
	// Shared says the client is declared in a file without a build
	// constraint, and generated into the file shared by every
	// configuration.
	Shared bool
	Steps  []*Step  // sorted by phase, then declaration order
	Fields []*Field // the guard and every managed field, in declaration order
	Locks  []*Lock  // the lock= fields, in order of first use

	// Names of the generated declarations, free in the package.
	PlanName string // cleanupT: the runtime.Plan variable, or for a generic T cleanupTSteps, the []runtime.Step variable
	RefsName string // cleanupTRefs: the refs struct implementing runtime.Refs[T]
	// PlansName, for a generic T, is cleanupTPlans: the sync.Map holding
	// the plan of each instantiation.
	PlansName string

	zeroMethods map[string]string // type parameter -> the refs method that tells its zero value
}

// Generic reports whether the client has type parameters.
func (c *Client) Generic() bool { return len(c.TypeParams) > 0 }

// Field is one field of the client that the generated code names.
type Field struct {
	Name string     // the field name; for an embedded field, the type name
	Type types.Type // the field's type
	// Drop says the field is set to its zero value after teardown: it is a
	// pointer, interface, map, slice, channel or func, or a type parameter,
	// or of a type that Varies, and its directive does not say drop=false.
	Drop bool
	// Varies says the field's type is declared in a file with a build
	// constraint and the field is in the shared generated file: its
	// underlying type may differ in another configuration, so the code
	// generated for it must not depend on it.
	Varies bool
	Lock   *Lock // lock=: held while the field is read and dropped
	Step   *Step // nil for the guard and for //cleanup:nil fields
}

// Lock is a sync.Mutex or sync.RWMutex field of the client named by lock=.
type Lock struct {
	Field string
	RW    bool // a sync.RWMutex: Take read-locks it
}

// StepKind says what a step does.
type StepKind int

const (
	// StepCancel calls a func() field.
	StepCancel StepKind = iota + 1
	// StepWaitGroup waits for a sync.WaitGroup (by address) or *sync.WaitGroup to reach zero.
	StepWaitGroup
	// StepWaitChan waits for a channel to be closed, discarding values.
	StepWaitChan
	// StepCall calls a method of the field.
	StepCall
	// StepEach calls a method of each element of a slice, array or map.
	StepEach
)

// Skip says how a step recognises a resource that is not there, which it
// skips: a field for StepCall and the rest, an element for StepEach.
type Skip int

const (
	// SkipNever: the value is always torn down.
	SkipNever Skip = iota
	// SkipNil: a nil pointer, interface, map, channel or func is skipped.
	SkipNil
	// SkipZero: a value of a type parameter is skipped when it is the zero
	// value of its type argument (nil for a pointer or interface).
	SkipZero
	// SkipVarying: a value of a type that may differ between build
	// configurations (a handle that is a pointer on unix and a struct on
	// windows) is skipped when runtime.IsZero says it is the zero value.
	SkipVarying
)

// Step is the teardown of one managed field.
type Step struct {
	Field   *Field
	Kind    StepKind
	Phase   int
	Timeout time.Duration
	Method  *Call // StepCall and StepEach: the graceful method
	Force   *Call // StepCall and StepEach: force=, or nil
	Skip    Skip  // of the field, or for StepEach of each element
	// Addr: the refs hold &x.Field (a value whose methods or WaitGroup need
	// its address), or for StepEach the collection itself, so that each
	// element is used in place.
	Addr bool
	Each *Each // StepEach
	// Chan: the step closes a channel (StepCall) or each channel of a
	// collection (StepEach) instead of calling Method. It must not start
	// after the deadline (runtime.Step.NoLateStart).
	Chan bool

	Ref string // the refs struct's field for this step
}

// Call is a method call on a value.
type Call struct {
	Method string
	Ctx    bool // the method takes a context.Context first
	Err    bool // the method returns an error
	// Dynamic: the default Close() error, called through runtime.CallClose,
	// which calls CloseContext(ctx) instead when the value has it: whether
	// it has may depend on the build configuration.
	Dynamic bool
	// Result: the method returns a value that is not an error, such as the
	// bool of (*time.Timer).Stop, which is ignored.
	Result bool
}

// KeyKind says how the name of a map element spells its key.
type KeyKind int

const (
	KeyOther   KeyKind = iota // runtime.KeyString(k)
	KeyString                 // strconv.Quote
	KeyInt                    // strconv.FormatInt
	KeyUint                   // strconv.FormatUint
	KeyBool                   // strconv.FormatBool
	KeyFloat                  // strconv.FormatFloat
	KeyComplex                // strconv.FormatComplex
)

// Each describes closing a slice, array or map element by element.
type Each struct {
	Map     bool
	Elem    types.Type
	Key     types.Type // maps
	KeyKind KeyKind    // maps
	KeyBits int        // KeyFloat and KeyComplex: 32, 64 or 128

	Keys string // maps: the refs field holding the keys, in the order of the elements
	At   string // slices and arrays whose elements are skipped: the refs field holding each element's index
}
