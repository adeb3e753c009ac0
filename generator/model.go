package generator

import (
	"go/token"
	"go/types"
	"time"
)

// The model is what the checker builds and the emitter reads: plain data, no
// syntax. Types are kept as go/types values so that the emitter can spell them.

// pkgModel is one package to generate for.
type pkgModel struct {
	Name    string
	Path    string
	Dir     string
	Types   *types.Package
	Clients []*client // in source order

	// names holds every name declared at package level in the package's
	// directory, in any file and any build configuration, outside generated
	// files, and every type parameter name of a client: the generated
	// package-level names, import names and local names avoid them.
	names map[string]bool
}

// client is one //cleanup:client struct type.
type client struct {
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
	Steps  []*step  // sorted by phase, then declaration order
	Fields []*field // the guard and every managed field, in declaration order
	Locks  []*lock  // the lock= fields, in order of first use

	// Names of the generated declarations, free in the package.
	PlanName string // cleanupT: the runtime.Plan variable, or for a generic T cleanupTSteps, the []runtime.Step variable
	RefsName string // cleanupTRefs: the refs struct implementing runtime.Refs[T]
	// PlansName, for a generic T, is cleanupTPlans: the sync.Map holding
	// the plan of each instantiation.
	PlansName string

	zeroMethods map[string]string // type parameter -> the refs method that tells its zero value
}

// Generic reports whether the client has type parameters.
func (c *client) Generic() bool { return len(c.TypeParams) > 0 }

// field is one field of the client that the generated code names.
type field struct {
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
	Lock   *lock // lock=: held while the field is read and dropped
	Step   *step // nil for the guard and for //cleanup:nil fields
}

// lock is a sync.Mutex or sync.RWMutex field of the client named by lock=.
type lock struct {
	Field string
	RW    bool // a sync.RWMutex: Take read-locks it
}

// stepKind says what a step does.
type stepKind int

const (
	// stepCancel calls a func() field.
	stepCancel stepKind = iota + 1
	// stepWaitGroup waits for a sync.WaitGroup (by address) or *sync.WaitGroup to reach zero.
	stepWaitGroup
	// stepWaitChan waits for a channel to be closed, discarding values.
	stepWaitChan
	// stepCall calls a method of the field.
	stepCall
	// stepEach calls a method of each element of a slice, array or map.
	stepEach
)

// skip says how a step recognises a resource that is not there, which it
// skips: a field for stepCall and the rest, an element for stepEach.
type skip int

const (
	// skipNever: the value is always torn down.
	skipNever skip = iota
	// skipNil: a nil pointer, interface, map, channel or func is skipped.
	skipNil
	// skipZero: a value of a type parameter is skipped when it is the zero
	// value of its type argument (nil for a pointer or interface).
	skipZero
	// skipVarying: a value of a type that may differ between build
	// configurations (a handle that is a pointer on unix and a struct on
	// windows) is skipped when runtime.IsZero says it is the zero value.
	skipVarying
)

// step is the teardown of one managed field.
type step struct {
	Field   *field
	Kind    stepKind
	Phase   int
	Timeout time.Duration
	Method  *call // stepCall and stepEach: the graceful method
	Force   *call // stepCall and stepEach: force=, or nil
	Skip    skip  // of the field, or for stepEach of each element
	// Addr: the refs hold &x.Field (a value whose methods or WaitGroup need
	// its address), or for stepEach the collection itself, so that each
	// element is used in place.
	Addr bool
	Each *each // stepEach
	// Chan: the step closes a channel (stepCall) or each channel of a
	// collection (stepEach) instead of calling Method. It must not start
	// after the deadline (runtime.Step.NoLateStart).
	Chan bool

	Ref string // the refs struct's field for this step
}

// call is a method call on a value.
type call struct {
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

// keyKind says how the name of a map element spells its key.
type keyKind int

const (
	keyOther   keyKind = iota // runtime.KeyString(k)
	keyString                 // strconv.Quote
	keyInt                    // strconv.FormatInt
	keyUint                   // strconv.FormatUint
	keyBool                   // strconv.FormatBool
	keyFloat                  // strconv.FormatFloat
	keyComplex                // strconv.FormatComplex
)

// each describes closing a slice, array or map element by element.
type each struct {
	Map     bool
	Elem    types.Type
	Key     types.Type // maps
	KeyKind keyKind    // maps
	KeyBits int        // keyFloat and keyComplex: 32, 64 or 128

	Keys string // maps: the refs field holding the keys, in the order of the elements
	At   string // slices and arrays whose elements are skipped: the refs field holding each element's index
}
