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
}

// Client is one //cleanup:client struct type.
type Client struct {
	Name       string             // T
	Pos        token.Pos          // the //cleanup:client directive
	TypeParams []*types.TypeParam // nil unless generic
	Timeout    time.Duration
	Guard      string   // the runtime.Guard field's name
	Steps      []*Step  // sorted by phase, then declaration order
	Drop       []string // fields set to their zero value after teardown, in declaration order
	// DropTypeParam maps the fields of Drop whose type is a type parameter
	// to its name: they are zeroed with *new(E) instead of nil.
	DropTypeParam map[string]string
	Refs          []*Ref // fields copied (or addressed) for the steps, in declaration order
	Fields        []*Ref // every field the generated code names, guard included, for the compile-time guard

	// Names of the generated declarations.
	PlanName string // cleanupT: the runtime.Teardown variable, or the function returning it for a generic T
	RefsName string // cleanupTRefs
}

// Generic reports whether the client has type parameters.
func (c *Client) Generic() bool { return len(c.TypeParams) > 0 }

// Ref is one field of the generated refs struct.
type Ref struct {
	Field string     // the client's field name (for embedded fields, the type name)
	Type  types.Type // the field's type
	Addr  bool       // the refs struct holds &x.Field, of type *Type
}

// Step is the teardown of one managed field.
type Step struct {
	Name    string // the field name; for embedded fields, the type name
	Verb    string // close, cancel or wait
	Phase   int
	Timeout time.Duration

	// Exactly one of the following is set.
	Call   *Call // close on the field itself
	Each   *Each // close element by element
	Wait   WaitKind
	Cancel bool

	Force *Call // force=, with Call or Each

	Nilable bool // the copied value can be nil and is then skipped
}

// Call is a method call on a value.
type Call struct {
	Method string
	Ctx    bool // the method takes a context.Context first
	Err    bool // the method returns an error
}

// WaitKind says what a wait step waits for.
type WaitKind int

const (
	NoWait         WaitKind = iota
	WaitGroup               // a sync.WaitGroup or *sync.WaitGroup reaches zero
	WaitChanClosed          // a channel is closed
)

// EachKind is the container of an element-by-element close.
type EachKind int

const (
	EachSlice EachKind = iota + 1 // a slice, or an array reached through a pointer
	EachMap
)

// Each describes closing a slice, array or map element by element.
type Each struct {
	Kind        EachKind
	StringKey   bool // map keys are strings: names use %q
	PlainString bool // the key type is string itself, not a named string type
	Addr        bool // elements are values whose method needs &elem
	Nilable     bool // elements can be nil and are then skipped
	Close       Call
}

func (e *Each) isMap() bool { return e.Kind == EachMap }
