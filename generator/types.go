package generator

import (
	"go/types"
	"strconv"

	"github.com/dave/jennifer/jen"
)

// typeWriter spells go/types types as jennifer code, from the point of view
// of the package being generated, and remembers which packages it named.
type typeWriter struct {
	local   *types.Package
	imports map[string]string // path -> package name
}

func (w *typeWriter) qual(pkg *types.Package, name string) *jen.Statement {
	if pkg == nil || pkg == w.local || pkg.Path() == w.local.Path() {
		return jen.Id(name)
	}
	w.imports[pkg.Path()] = pkg.Name()
	return jen.Qual(pkg.Path(), name)
}

func (w *typeWriter) typeArgs(s *jen.Statement, args *types.TypeList) *jen.Statement {
	if args == nil || args.Len() == 0 {
		return s
	}
	codes := make([]jen.Code, args.Len())
	for i := range args.Len() {
		codes[i] = w.typ(args.At(i))
	}
	return s.Types(codes...)
}

func (w *typeWriter) typ(t types.Type) *jen.Statement {
	switch t := t.(type) {
	case *types.Alias:
		return w.typeArgs(w.qual(t.Obj().Pkg(), t.Obj().Name()), t.TypeArgs())
	case *types.Named:
		return w.typeArgs(w.qual(t.Obj().Pkg(), t.Obj().Name()), t.TypeArgs())
	case *types.TypeParam:
		return jen.Id(t.Obj().Name())
	case *types.Basic:
		if t.Kind() == types.UnsafePointer {
			return jen.Qual("unsafe", "Pointer")
		}
		return jen.Id(t.Name())
	case *types.Pointer:
		return jen.Op("*").Add(w.typ(t.Elem()))
	case *types.Slice:
		return jen.Index().Add(w.typ(t.Elem()))
	case *types.Array:
		return jen.Index(jen.Lit(int(t.Len()))).Add(w.typ(t.Elem()))
	case *types.Map:
		return jen.Map(w.typ(t.Key())).Add(w.typ(t.Elem()))
	case *types.Chan:
		switch t.Dir() {
		case types.SendOnly:
			return jen.Chan().Op("<-").Add(w.typ(t.Elem()))
		case types.RecvOnly:
			return jen.Op("<-").Chan().Add(w.typ(t.Elem()))
		}
		// chan (<-chan int): chan <-chan int would read as chan<- chan int.
		if elem, ok := t.Elem().(*types.Chan); ok && elem.Dir() == types.RecvOnly {
			return jen.Chan().Parens(w.typ(elem))
		}
		return jen.Chan().Add(w.typ(t.Elem()))
	case *types.Signature:
		return jen.Func().Add(w.signature(t))
	case *types.Struct:
		fields := make([]jen.Code, t.NumFields())
		for i := range t.NumFields() {
			f := t.Field(i)
			var s *jen.Statement
			if f.Embedded() {
				s = w.typ(f.Type())
			} else {
				s = jen.Id(f.Name()).Add(w.typ(f.Type()))
			}
			if tag := t.Tag(i); tag != "" {
				s.Op(strconv.Quote(tag))
			}
			fields[i] = s
		}
		return jen.Struct(fields...)
	case *types.Interface:
		var elems []jen.Code
		for i := range t.NumEmbeddeds() {
			elems = append(elems, w.typ(t.EmbeddedType(i)))
		}
		for i := range t.NumExplicitMethods() {
			m := t.ExplicitMethod(i)
			elems = append(elems, jen.Id(m.Name()).Add(w.signature(m.Type().(*types.Signature))))
		}
		if len(elems) == 0 && t.IsComparable() {
			return jen.Comparable()
		}
		return jen.Interface(elems...)
	case *types.Union:
		s := jen.Null()
		for i := range t.Len() {
			if i > 0 {
				s.Op("|")
			}
			term := t.Term(i)
			if term.Tilde() {
				s.Op("~")
			}
			s.Add(w.typ(term.Type()))
		}
		return s
	}
	return jen.Id(t.String())
}

func (w *typeWriter) signature(sig *types.Signature) *jen.Statement {
	params := make([]jen.Code, sig.Params().Len())
	for i := range sig.Params().Len() {
		pt := sig.Params().At(i).Type()
		if sig.Variadic() && i == sig.Params().Len()-1 {
			params[i] = jen.Op("...").Add(w.typ(pt.(*types.Slice).Elem()))
		} else {
			params[i] = w.typ(pt)
		}
	}
	s := jen.Params(params...)
	switch sig.Results().Len() {
	case 0:
	case 1:
		s.Add(w.typ(sig.Results().At(0).Type()))
	default:
		res := make([]jen.Code, sig.Results().Len())
		for i := range sig.Results().Len() {
			res[i] = w.typ(sig.Results().At(i).Type())
		}
		s.Params(res...)
	}
	return s
}

// typeParams spells a client's type parameter list with constraints, for
// declarations: [E io.Closer, K comparable].
// names are the parameters' names in the generated code (a blank one is
// named there).
func (w *typeWriter) typeParams(tps []*types.TypeParam, names []string) []jen.Code {
	out := make([]jen.Code, len(tps))
	for i, tp := range tps {
		out[i] = jen.Id(names[i]).Add(w.constraint(tp.Constraint()))
	}
	// [P *int] would read as an array length; [P *int,] is a type parameter.
	if len(tps) == 1 && startsWithPointer(tps[0].Constraint()) {
		out[0] = jen.Add(out[0]).Op(",")
	}
	return out
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
func (w *typeWriter) constraint(t types.Type) *jen.Statement {
	if it, ok := t.(*types.Interface); ok && it.IsImplicit() && it.NumEmbeddeds() == 1 {
		return w.typ(it.EmbeddedType(0))
	}
	return w.typ(t)
}

// typeArgNames spells a client's type parameters as arguments: [E, K].
func typeArgNames(names []string) []jen.Code {
	out := make([]jen.Code, len(names))
	for i, name := range names {
		out[i] = jen.Id(name)
	}
	return out
}
