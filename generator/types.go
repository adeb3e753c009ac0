package generator

import (
	"go/types"
	"strconv"
	"strings"
)

// typeWriter spells go/types types as Go source, from the point of view of
// the package being generated, and remembers which packages it named.
type typeWriter struct {
	local *types.Package
	used  map[string]string // path -> package name, of the packages named
	// needsFormat says a type was spelled that gofmt may lay out otherwise
	// (a struct or interface literal with members).
	needsFormat bool
}

// qual is name qualified by the import name of the package at path, whose
// name is pkgName. The import name is chosen once every package the code
// names is known: qual writes a placeholder for it, the path between two
// NUL bytes, which emit replaces. Go source holds no NUL byte.
func (w *typeWriter) qual(path, pkgName, name string) string {
	if w.local != nil && path == w.local.Path() {
		return name
	}
	w.used[path] = pkgName
	return "\x00" + path + "\x00." + name
}

func (w *typeWriter) named(pkg *types.Package, name string, args *types.TypeList) string {
	s := name
	if pkg != nil && pkg != w.local {
		s = w.qual(pkg.Path(), pkg.Name(), name)
	}
	if args == nil || args.Len() == 0 {
		return s
	}
	list := make([]string, args.Len())
	for i := range args.Len() {
		list[i] = w.typ(args.At(i))
	}
	return s + "[" + strings.Join(list, ", ") + "]"
}

func (w *typeWriter) typ(t types.Type) string {
	switch t := t.(type) {
	case *types.Alias:
		return w.named(t.Obj().Pkg(), t.Obj().Name(), t.TypeArgs())
	case *types.Named:
		return w.named(t.Obj().Pkg(), t.Obj().Name(), t.TypeArgs())
	case *types.TypeParam:
		return t.Obj().Name()
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return w.qual("unsafe", "unsafe", "Pointer")
		}
		return t.Name()
	case *types.Pointer:
		return "*" + w.typ(t.Elem())
	case *types.Slice:
		return "[]" + w.typ(t.Elem())
	case *types.Array:
		return "[" + strconv.FormatInt(t.Len(), 10) + "]" + w.typ(t.Elem())
	case *types.Map:
		return "map[" + w.typ(t.Key()) + "]" + w.typ(t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return "chan<- " + w.typ(t.Elem())
		case types.RecvOnly:
			return "<-chan " + w.typ(t.Elem())
		}
		// chan (<-chan int): chan <-chan int would read as chan<- chan int.
		if elem, ok := t.Elem().(*types.Chan); ok && elem.Dir() == types.RecvOnly {
			return "chan (" + w.typ(elem) + ")"
		}
		return "chan " + w.typ(t.Elem())
	case *types.Signature:
		return "func" + w.signature(t)
	case *types.Struct:
		if t.NumFields() == 0 {
			return "struct{}"
		}
		w.needsFormat = true
		fields := make([]string, t.NumFields())
		for i := range t.NumFields() {
			f := t.Field(i)
			if f.Embedded() {
				fields[i] = w.typ(f.Type())
			} else {
				fields[i] = f.Name() + " " + w.typ(f.Type())
			}
			if tag := t.Tag(i); tag != "" {
				fields[i] += " " + strconv.Quote(tag)
			}
		}
		return "struct {\n" + strings.Join(fields, "\n") + "\n}"
	case *types.Interface:
		var elems []string
		for i := range t.NumEmbeddeds() {
			elems = append(elems, w.typ(t.EmbeddedType(i)))
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			elems = append(elems, m.Name()+w.signature(m.Type().(*types.Signature)))
		}
		if len(elems) == 0 {
			if t.IsComparable() {
				return "comparable"
			}
			return "interface{}"
		}
		w.needsFormat = true
		return "interface {\n" + strings.Join(elems, "\n") + "\n}"
	case *types.Union:
		terms := make([]string, t.Len())
		for i := range t.Len() {
			term := t.Term(i)
			terms[i] = w.typ(term.Type())
			if term.Tilde() {
				terms[i] = "~" + terms[i]
			}
		}
		return strings.Join(terms, " | ")
	}
	return t.String()
}

func (w *typeWriter) signature(sig *types.Signature) string {
	params := make([]string, sig.Params().Len())
	for i := range sig.Params().Len() {
		pt := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			params[i] = "..." + w.typ(pt.(*types.Slice).Elem())
		} else {
			params[i] = w.typ(pt)
		}
	}
	s := "(" + strings.Join(params, ", ") + ")"
	switch sig.Results().Len() {
	case 0:
	case 1:
		s += " " + w.typ(sig.Results().At(0).Type())
	default:
		res := make([]string, sig.Results().Len())
		for i := range sig.Results().Len() {
			res[i] = w.typ(sig.Results().At(i).Type())
		}
		s += " (" + strings.Join(res, ", ") + ")"
	}
	return s
}

// typeParams spells a client's type parameter list with constraints, for
// declarations: [E io.Closer, K comparable]. names are the parameters'
// names in the generated code (a blank one is named there). typeDecl says
// the list is a type declaration's.
func (w *typeWriter) typeParams(tps []*types.TypeParam, names []string, typeDecl bool) string {
	out := make([]string, len(tps))
	for i, tp := range tps {
		out[i] = names[i] + " " + w.constraint(tp.Constraint())
	}
	// type T[P *int] would read as an array length; [P *int,] is a type
	// parameter.
	if typeDecl && len(tps) == 1 && startsWithPointer(tps[0].Constraint()) {
		out[0] += ","
	}
	return "[" + strings.Join(out, ", ") + "]"
}

// startsWithPointer reports whether a constraint is spelled starting with
// "*": an implicit interface whose element is a pointer type or a union
// whose first term is one.
func startsWithPointer(t types.Type) bool {
	it, ok := t.(*types.Interface)
	if !ok || !it.IsImplicit() || it.NumEmbeddeds() != 1 {
		return false
	}
	switch e := it.EmbeddedType(0).(type) {
	case *types.Pointer:
		return true
	case *types.Union:
		_, ptr := e.Term(0).Type().(*types.Pointer)
		return !e.Term(0).Tilde() && ptr
	}
	return false
}

// constraint spells a constraint: an implicit interface (~int | string) is
// written as its single embedded element.
func (w *typeWriter) constraint(t types.Type) string {
	if it, ok := t.(*types.Interface); ok && it.IsImplicit() && it.NumEmbeddeds() == 1 {
		return w.typ(it.EmbeddedType(0))
	}
	return w.typ(t)
}
