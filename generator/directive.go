package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Tool is the tool part of every directive: //cleanup:VERB.
const Tool = "cleanup"

// Target says where a directive may be written.
type Target int

const (
	// OnType marks a directive written in the doc comment of a type.
	OnType Target = iota + 1
	// OnField marks a directive written in the doc or line comment of a struct field.
	OnField
)

func (t Target) String() string {
	switch t {
	case OnType:
		return "type"
	case OnField:
		return "field"
	}
	return "unknown"
}

// Argument says whether a verb takes a positional argument.
type Argument int

const (
	// NoArg: the verb takes no positional argument.
	NoArg Argument = iota
	// OptionalMethod: the verb takes an optional method name.
	OptionalMethod
)

// OptionKind is the type of an option's value.
type OptionKind int

const (
	// Duration is a time.ParseDuration string, greater than zero.
	Duration OptionKind = iota + 1
	// Method is a Go identifier naming a method.
	Method
	// Order is a non-negative integer.
	Order
)

// OptionSpec defines one key=value option of a verb.
type OptionSpec struct {
	Key  string
	Kind OptionKind
	Help string
}

// VerbSpec defines one directive verb. Parsing, validation and the help text
// all come from the Verbs table.
type VerbSpec struct {
	Verb    string
	Target  Target
	Arg     Argument
	Options []OptionSpec
	Syntax  string // the usage line, e.g. "//cleanup:close [METHOD] [timeout=D] [force=M] [order=N]"
	Help    string // one sentence: what the verb does and which types it serves
}

var (
	optTimeout = OptionSpec{Key: "timeout", Kind: Duration, Help: "this field's own budget, inside the overall deadline"}
	optForce   = OptionSpec{Key: "force", Kind: Method, Help: "method called when the graceful one has not returned within its budget"}
	optOrder   = OptionSpec{Key: "order", Kind: Order, Help: "the field's phase; phases run in ascending order (default: cancel 0, wait 1, close 2)"}
)

// Verbs is the one definition of the directive grammar.
var Verbs = []VerbSpec{
	{
		Verb: "client", Target: OnType, Arg: NoArg,
		Options: []OptionSpec{{Key: "timeout", Kind: Duration, Help: "the budget of Close (default 5s)"}},
		Syntax:  "//cleanup:client [timeout=DURATION]",
		Help:    "generates Close and CloseContext for a struct type with exactly one runtime.Guard field",
	},
	{
		Verb: "close", Target: OnField, Arg: OptionalMethod,
		Options: []OptionSpec{optTimeout, optForce, optOrder},
		Syntax:  "//cleanup:close [METHOD] [timeout=DURATION] [force=METHOD] [order=N]",
		Help:    "calls METHOD (default Close), which may take a context.Context and may return an error; slices, arrays and maps of such values are closed element by element",
	},
	{
		Verb: "cancel", Target: OnField, Arg: NoArg,
		Options: []OptionSpec{optTimeout, optOrder},
		Syntax:  "//cleanup:cancel [timeout=DURATION] [order=N]",
		Help:    "calls a func() field, such as a context.CancelFunc",
	},
	{
		Verb: "wait", Target: OnField, Arg: NoArg,
		Options: []OptionSpec{optTimeout, optOrder},
		Syntax:  "//cleanup:wait [timeout=DURATION] [order=N]",
		Help:    "waits for a sync.WaitGroup or *sync.WaitGroup to reach zero, or for a channel to be closed (values received meanwhile are discarded)",
	},
	{
		Verb: "nil", Target: OnField, Arg: NoArg,
		Syntax: "//cleanup:nil",
		Help:   "drops a pointer, interface, map, slice, channel or func field without tearing anything down",
	},
	{
		Verb: "ignore", Target: OnField, Arg: NoArg,
		Syntax: "//cleanup:ignore",
		Help:   "never touches the field: it is not a resource, on purpose",
	},
}

// LookupVerb returns the definition of verb, or nil.
func LookupVerb(verb string) *VerbSpec {
	for i := range Verbs {
		if Verbs[i].Verb == verb {
			return &Verbs[i]
		}
	}
	return nil
}

func (v *VerbSpec) option(key string) *OptionSpec {
	for i := range v.Options {
		if v.Options[i].Key == key {
			return &v.Options[i]
		}
	}
	return nil
}

func (v *VerbSpec) optionKeys() string {
	if len(v.Options) == 0 {
		return "it takes no options"
	}
	keys := make([]string, len(v.Options))
	for i, o := range v.Options {
		keys[i] = o.Key + "="
	}
	return "allowed: " + strings.Join(keys, ", ")
}

// Help returns the reference of every directive, generated from Verbs.
func Help() string {
	var b strings.Builder
	b.WriteString("Directives (one per type or field, in its doc comment or a field's line comment):\n")
	for _, v := range Verbs {
		fmt.Fprintf(&b, "\n  %s\n    on a %s: %s\n", v.Syntax, v.Target, v.Help)
		for _, o := range v.Options {
			fmt.Fprintf(&b, "    %s=: %s\n", o.Key, o.Help)
		}
	}
	return b.String()
}

// Directive is one parsed //cleanup: comment line.
type Directive struct {
	Pos     token.Pos // position of the "//"
	Verb    string
	Arg     string    // the positional argument, "" when absent
	ArgPos  token.Pos // position of Arg, or Pos
	Options []Option  // in source order, keys unique

	// Typed option values, valid after a successful ParseDirective.
	Timeout  time.Duration // timeout=, 0 when absent
	Force    string        // force=, "" when absent
	Order    int           // order=, meaningful only when HasOrder
	HasOrder bool
}

// Option is one key=value pair of a directive.
type Option struct {
	Pos   token.Pos
	Key   string
	Value string
}

// Option returns the value of key and whether it was given.
func (d *Directive) Option(key string) (string, bool) {
	for _, o := range d.Options {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}

// Spec returns the definition of d's verb; nil for an unknown verb.
func (d *Directive) Spec() *VerbSpec { return LookupVerb(d.Verb) }

// A DirectiveError is a syntax error in a directive, at Pos.
type DirectiveError struct {
	Pos token.Pos
	Msg string
}

func (e *DirectiveError) Error() string { return e.Msg }

// IsDirective reports whether the comment line text is a //cleanup: directive
// (well-formed or not).
func IsDirective(text string) bool {
	d, ok := ast.ParseDirective(0, text)
	return ok && d.Tool == Tool
}

// ParseDirective parses the comment line text, which starts with "//", as a
// //cleanup: directive at pos. ok is false when text is not a //cleanup:
// directive at all. Otherwise err, a *DirectiveError, reports the first
// problem: an unknown verb, an argument where none is allowed, an unknown or
// repeated option, or a malformed value. The verb's target is not checked
// here: the caller knows where the comment was written.
func ParseDirective(pos token.Pos, text string) (d Directive, ok bool, err error) {
	ad, ok := ast.ParseDirective(pos, text)
	if !ok || ad.Tool != Tool {
		return Directive{}, false, nil
	}
	d = Directive{Pos: pos, Verb: ad.Name, ArgPos: pos}
	fail := func(p token.Pos, format string, args ...any) (Directive, bool, error) {
		return d, true, &DirectiveError{Pos: p, Msg: fmt.Sprintf(format, args...)}
	}
	spec := LookupVerb(d.Verb)
	if spec == nil {
		return fail(pos, "unknown directive //cleanup:%s; known verbs: %s", d.Verb, verbList())
	}
	args, perr := ad.ParseArgs()
	if perr != nil {
		return fail(ad.ArgsPos, "//cleanup:%s: %v", d.Verb, perr)
	}
	seen := map[string]bool{}
	for i, a := range args {
		key, value, isOpt := strings.Cut(a.Arg, "=")
		if !isOpt {
			if i > 0 || spec.Arg == NoArg {
				if spec.Arg == NoArg {
					return fail(a.Pos, "//cleanup:%s takes no argument, got %q; usage: %s", d.Verb, a.Arg, spec.Syntax)
				}
				return fail(a.Pos, "//cleanup:%s: unexpected argument %q; the method name comes first, options are key=value; usage: %s", d.Verb, a.Arg, spec.Syntax)
			}
			if !isIdent(a.Arg) {
				return fail(a.Pos, "//cleanup:%s: %q is not a method name", d.Verb, a.Arg)
			}
			d.Arg, d.ArgPos = a.Arg, a.Pos
			continue
		}
		os := spec.option(key)
		if os == nil {
			return fail(a.Pos, "//cleanup:%s: unknown option %q; %s", d.Verb, key, spec.optionKeys())
		}
		if seen[key] {
			return fail(a.Pos, "//cleanup:%s: option %s= given twice", d.Verb, key)
		}
		seen[key] = true
		switch os.Kind {
		case Duration:
			dur, derr := time.ParseDuration(value)
			if derr != nil {
				return fail(a.Pos, "//cleanup:%s: %s=%q is not a duration; write one like %s=2s or %s=500ms", d.Verb, key, value, key, key)
			}
			if dur <= 0 {
				return fail(a.Pos, "//cleanup:%s: %s=%s must be greater than zero", d.Verb, key, value)
			}
			d.Timeout = dur
		case Method:
			if !isIdent(value) {
				return fail(a.Pos, "//cleanup:%s: %s=%q is not a method name", d.Verb, key, value)
			}
			d.Force = value
		case Order:
			n, nerr := strconv.Atoi(value)
			if nerr != nil || n < 0 {
				return fail(a.Pos, "//cleanup:%s: %s=%q must be a non-negative integer", d.Verb, key, value)
			}
			d.Order, d.HasOrder = n, true
		}
		d.Options = append(d.Options, Option{Pos: a.Pos, Key: key, Value: value})
	}
	return d, true, nil
}

func verbList() string {
	names := make([]string, len(Verbs))
	for i, v := range Verbs {
		names[i] = v.Verb
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func isIdent(s string) bool {
	return token.IsIdentifier(s)
}
