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

// target says where a directive may be written.
type target int

const (
	// onType marks a directive written in the doc comment of a type.
	onType target = iota + 1
	// onField marks a directive written in the doc or line comment of a struct field.
	onField
)

func (t target) String() string {
	switch t {
	case onType:
		return "type"
	case onField:
		return "field"
	}
	return "unknown"
}

// argument says whether a verb takes a positional argument.
type argument int

const (
	// noArg: the verb takes no positional argument.
	noArg argument = iota
	// optionalMethod: the verb takes an optional method name.
	optionalMethod
)

// optionKind is the type of an option's value.
type optionKind int

const (
	// kindDuration is a time.ParseDuration string, greater than zero.
	kindDuration optionKind = iota + 1
	// kindMethod is a Go identifier naming a method.
	kindMethod
	// kindOrder is a non-negative integer.
	kindOrder
	// kindField is a Go identifier naming a field of the client.
	kindField
	// kindBool is true or false.
	kindBool
)

// optionSpec defines one key=value option of a verb.
type optionSpec struct {
	Key  string
	Kind optionKind
	Help string
}

// verbSpec defines one directive verb. Parsing, validation and the help text
// all come from the verbs table.
type verbSpec struct {
	Verb    string
	Target  target
	Arg     argument
	Options []optionSpec
	Phase   int    // the phase of a field without order= (verbs that tear down)
	Syntax  string // the usage line, e.g. "//cleanup:close [METHOD] [timeout=D] [force=M] [order=N]"
	Help    string // one sentence: what the verb does and which types it serves
}

var (
	optTimeout = optionSpec{Key: "timeout", Kind: kindDuration, Help: "this field's own budget, inside the overall deadline"}
	optForce   = optionSpec{Key: "force", Kind: kindMethod, Help: "method called when the graceful one has not returned within its budget"}
	optOrder   = optionSpec{Key: "order", Kind: kindOrder, Help: "the field's phase; phases run in ascending order (default: cancel 0, wait 1, close 2)"}
	optLock    = optionSpec{Key: "lock", Kind: kindField, Help: "a sync.Mutex or sync.RWMutex field of the client (or a pointer to one), held while the teardown reads and drops this field"}
	optDrop    = optionSpec{Key: "drop", Kind: kindBool, Help: "drop=false: the field is torn down but never set to its zero value, for fields that the client's own goroutines may still read after Close"}
)

// verbs is the one definition of the directive grammar.
var verbs = []verbSpec{
	{
		Verb: "client", Target: onType, Arg: noArg,
		Options: []optionSpec{
			{Key: "timeout", Kind: kindDuration, Help: "the budget of Close (default 5s)"},
			{Key: "method", Kind: kindMethod, Help: "generates NAME(ctx context.Context) error (NAME may be unexported) instead of Close and CloseContext, for a type whose own Close has another signature and calls it"},
		},
		Syntax: "//cleanup:client [timeout=DURATION] [method=NAME]",
		Help:   "generates Close and CloseContext for a struct type with exactly one runtime.Guard field",
	},
	{
		Verb: "close", Target: onField, Arg: optionalMethod,
		Options: []optionSpec{optTimeout, optForce, optOrder, optLock, optDrop},
		Phase:   2,
		Syntax:  "//cleanup:close [METHOD] [timeout=DURATION] [force=METHOD] [order=N] [lock=FIELD] [drop=false]",
		Help:    "calls METHOD (default Close), which may take a context.Context and may return nothing, an error or a bool (ignored); closes a channel the client owns (chan T, chan<- T); slices, arrays and maps of such values are closed element by element",
	},
	{
		Verb: "cancel", Target: onField, Arg: noArg,
		Options: []optionSpec{optTimeout, optOrder, optLock, optDrop},
		Phase:   0,
		Syntax:  "//cleanup:cancel [timeout=DURATION] [order=N] [lock=FIELD] [drop=false]",
		Help:    "calls a func() field, such as a context.CancelFunc",
	},
	{
		Verb: "wait", Target: onField, Arg: noArg,
		Options: []optionSpec{optTimeout, optOrder, optLock, optDrop},
		Phase:   1,
		Syntax:  "//cleanup:wait [timeout=DURATION] [order=N] [lock=FIELD] [drop=false]",
		Help:    "waits for a sync.WaitGroup or *sync.WaitGroup to reach zero, or for a channel to be closed (values received meanwhile are discarded)",
	},
	{
		Verb: "nil", Target: onField, Arg: noArg,
		Options: []optionSpec{optLock, optDrop},
		Syntax:  "//cleanup:nil [lock=FIELD] [drop=false]",
		Help:    "drops a pointer, interface, map, slice, channel or func field without tearing anything down",
	},
	{
		Verb: "ignore", Target: onField, Arg: noArg,
		Options: []optionSpec{optDrop},
		Syntax:  "//cleanup:ignore",
		Help:    "never touches the field: it is not a resource, on purpose",
	},
}

// lookupVerb returns the definition of verb, or nil.
func lookupVerb(verb string) *verbSpec {
	for i := range verbs {
		if verbs[i].Verb == verb {
			return &verbs[i]
		}
	}
	return nil
}

func (v *verbSpec) option(key string) *optionSpec {
	for i := range v.Options {
		if v.Options[i].Key == key {
			return &v.Options[i]
		}
	}
	return nil
}

func (v *verbSpec) optionKeys() string {
	if len(v.Options) == 0 {
		return "it takes no options"
	}
	keys := make([]string, len(v.Options))
	for i, o := range v.Options {
		keys[i] = o.Key + "="
	}
	return "allowed: " + strings.Join(keys, ", ")
}

// Help returns the reference of every directive, generated from verbs.
func Help() string {
	var b strings.Builder
	b.WriteString("Directives (one per type or field, in its doc comment or a field's line comment):\n")
	for _, v := range verbs {
		fmt.Fprintf(&b, "\n  %s\n    on a %s: %s\n", v.Syntax, v.Target, v.Help)
		for _, o := range v.Options {
			fmt.Fprintf(&b, "    %s=: %s\n", o.Key, o.Help)
		}
	}
	return b.String()
}

// directive is one parsed //cleanup: comment line.
type directive struct {
	Pos     token.Pos // position of the "//"
	Verb    string
	Arg     string    // the positional argument, "" when absent
	ArgPos  token.Pos // position of Arg, or Pos
	Options []option  // in source order, keys unique

	// Typed option values, valid after a successful parseDirective.
	Timeout  time.Duration // timeout=, 0 when absent
	Force    string        // force=, "" when absent
	Method   string        // method= of //cleanup:client, "" when absent
	Order    int           // order=, meaningful only when HasOrder
	HasOrder bool
	Lock     string // lock=, "" when absent
	NoDrop   bool   // drop=false
}

// option is one key=value pair of a directive.
type option struct {
	Pos   token.Pos
	Key   string
	Value string
}

// optionValue returns the value of key and whether it was given.
func (d *directive) optionValue(key string) (string, bool) {
	for _, o := range d.Options {
		if o.Key == key {
			return o.Value, true
		}
	}
	return "", false
}

// Spec returns the definition of d's verb; nil for an unknown verb.
func (d *directive) Spec() *verbSpec { return lookupVerb(d.Verb) }

// A directiveError is a syntax error in a directive, at Pos.
type directiveError struct {
	Pos token.Pos
	Msg string
}

func (e *directiveError) Error() string { return e.Msg }

// IsDirective reports whether the comment line text is a //cleanup: directive
// (well-formed or not).
func IsDirective(text string) bool {
	d, ok := ast.ParseDirective(0, text)
	return ok && d.Tool == Tool
}

// parseDirective parses the comment line text, which starts with "//", as a
// //cleanup: directive at pos. ok is false when text is not a //cleanup:
// directive at all. Otherwise err, a *directiveError, reports the first
// problem: an unknown verb, an argument where none is allowed, an unknown or
// repeated option, or a malformed value. The verb's target is not checked
// here: the caller knows where the comment was written.
func parseDirective(pos token.Pos, text string) (d directive, ok bool, err error) {
	ad, ok := ast.ParseDirective(pos, withoutComment(text))
	if !ok || ad.Tool != Tool {
		return directive{}, false, nil
	}
	d = directive{Pos: pos, Verb: ad.Name, ArgPos: pos}
	fail := func(p token.Pos, format string, args ...any) (directive, bool, error) {
		return d, true, &directiveError{Pos: p, Msg: fmt.Sprintf(format, args...)}
	}
	spec := lookupVerb(d.Verb)
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
			if i > 0 || spec.Arg == noArg {
				if spec.Arg == noArg {
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
		case kindDuration:
			dur, derr := time.ParseDuration(value)
			if derr != nil {
				if _, isNum := strconv.ParseFloat(value, 64); isNum == nil {
					return fail(a.Pos, "//cleanup:%s: %s=%s has no unit; write %s=%ss, or another unit (ms, m)", d.Verb, key, value, key, value)
				}
				return fail(a.Pos, "//cleanup:%s: %s=%q is not a duration; write one like %s=2s or %s=500ms", d.Verb, key, value, key, key)
			}
			if dur <= 0 {
				return fail(a.Pos, "//cleanup:%s: %s=%s must be greater than zero", d.Verb, key, value)
			}
			d.Timeout = dur
		case kindMethod:
			if !isIdent(value) {
				return fail(a.Pos, "//cleanup:%s: %s=%q is not a method name", d.Verb, key, value)
			}
			if key == "method" {
				d.Method = value
			} else {
				d.Force = value
			}
		case kindOrder:
			n, nerr := strconv.Atoi(value)
			if nerr != nil || n < 0 {
				return fail(a.Pos, "//cleanup:%s: %s=%q must be a non-negative integer", d.Verb, key, value)
			}
			d.Order, d.HasOrder = n, true
		case kindField:
			if !isIdent(value) || value == "_" {
				return fail(a.Pos, "//cleanup:%s: %s=%q is not a field name", d.Verb, key, value)
			}
			d.Lock = value
		case kindBool:
			b, berr := strconv.ParseBool(value)
			if berr != nil || (value != "true" && value != "false") {
				return fail(a.Pos, "//cleanup:%s: %s=%q must be true or false", d.Verb, key, value)
			}
			d.NoDrop = !b
		}
		d.Options = append(d.Options, option{Pos: a.Pos, Key: key, Value: value})
	}
	return d, true, nil
}

// withoutComment cuts a comment off a directive line: the text from a "//"
// that follows a space or tab, outside quotes, on (//cleanup:ignore // the
// pool owns it). A directive line is one comment to go/ast, so a reason
// written after the directive would otherwise read as its arguments.
func withoutComment(text string) string {
	var quote byte
	for i := 2; i < len(text); i++ {
		switch c := text[i]; {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '"' || c == '`':
			quote = c
		case c == '/' && strings.HasPrefix(text[i:], "//") && (text[i-1] == ' ' || text[i-1] == '\t'):
			return strings.TrimRight(text[:i], " \t")
		}
	}
	return text
}

func verbList() string {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.Verb
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func isIdent(s string) bool {
	return token.IsIdentifier(s)
}

// NearMiss reports whether the comment text, a // line or a /* */ block,
// reads as a //cleanup: directive that is not one: a space after //, a
// capital letter, a space after the colon, a block comment. want is the
// directive it was meant to be. A well-formed //cleanup: line is not a near
// miss (parseDirective reports its mistakes), and neither is prose that
// merely starts with "cleanup:": the words after the verb must read as the
// verb's arguments.
func NearMiss(text string) (want string, ok bool) {
	var body string
	switch {
	case strings.HasPrefix(text, "//"):
		text = withoutComment(text)
		if _, isDirective := ast.ParseDirective(0, text); isDirective {
			return "", false
		}
		body = text[2:]
	case strings.HasPrefix(text, "/*"):
		body = strings.TrimSuffix(text[2:], "*/")
	default:
		return "", false
	}
	// //+cleanup:close: the old // +build spelling.
	body = strings.TrimLeft(strings.TrimSpace(body), "+")
	if len(body) < len(Tool) || !strings.EqualFold(body[:len(Tool)], Tool) {
		return "", false
	}
	rest, colon := strings.CutPrefix(strings.TrimLeft(body[len(Tool):], " \t"), ":")
	if !colon {
		return "", false
	}
	words := strings.Fields(rest)
	if len(words) == 0 {
		return "", false
	}
	spec := lookupVerb(strings.ToLower(words[0]))
	if spec == nil {
		return "", false
	}
	positional := 0
	for _, w := range words[1:] {
		if key, _, isOpt := strings.Cut(w, "="); isOpt {
			if spec.option(key) == nil {
				return "", false
			}
			continue
		}
		positional++
		if spec.Arg == noArg || positional > 1 || !isIdent(w) {
			return "", false
		}
	}
	return strings.Join(append([]string{"//" + Tool + ":" + spec.Verb}, words[1:]...), " "), true
}
