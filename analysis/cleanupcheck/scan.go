package cleanupcheck

import (
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// facts are what the package's own code does with the fields of its
// struct types, read once from every function body.
type facts struct {
	made     map[*types.Var]bool // chan fields it stores a make(chan) in, directly or through a local
	closed   map[*types.Var]bool // chan fields it closes, directly or through a local stored in them
	fromCall map[*types.Var]bool // func() fields it stores a call's result in: a teardown it was handed
	funcs    []*ast.FuncDecl     // the function declarations of the package's own files
}

// scan reads the package's files, less the generated ones.
func scan(pass *analysis.Pass, files, generated []*ast.File) *facts {
	fs := &facts{made: map[*types.Var]bool{}, closed: map[*types.Var]bool{}, fromCall: map[*types.Var]bool{}}
	skip := map[*ast.File]bool{}
	for _, f := range generated {
		skip[f] = true
	}
	field := func(e ast.Expr) *types.Var {
		sel, ok := ast.Unparen(e).(*ast.SelectorExpr)
		if !ok {
			return nil
		}
		if s := pass.TypesInfo.Selections[sel]; s != nil && s.Kind() == types.FieldVal {
			if v, ok := s.Obj().(*types.Var); ok && v.Pkg() == pass.Pkg {
				return v.Origin()
			}
		}
		return nil
	}
	local := func(e ast.Expr) *types.Var {
		id, ok := ast.Unparen(e).(*ast.Ident)
		if !ok {
			return nil
		}
		v, _ := pass.TypesInfo.ObjectOf(id).(*types.Var)
		if v == nil || v.IsField() || v.Parent() == pass.Pkg.Scope() {
			return nil
		}
		return v
	}
	madeLocal := map[*types.Var]bool{}   // locals assigned a make(chan)
	closedLocal := map[*types.Var]bool{} // locals closed
	callLocal := map[*types.Var]bool{}   // func() locals assigned a call's result
	stored := map[*types.Var][]*types.Var{}

	// store records that value e is stored in field v.
	store := func(v *types.Var, e ast.Expr) {
		if v == nil {
			return
		}
		switch {
		case isMakeChan(pass, e):
			fs.made[v] = true
		case isFuncCall(pass, e):
			fs.fromCall[v] = true
		}
		if l := local(e); l != nil {
			stored[l] = append(stored[l], v)
		}
	}
	for _, f := range files {
		if skip[f] {
			continue
		}
		for _, decl := range f.Decls {
			if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
				fs.funcs = append(fs.funcs, fd)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				if len(n.Rhs) == 1 && len(n.Lhs) > 1 {
					// v, err := subscribe(): the func() results of a call.
					if tuple, ok := pass.TypesInfo.TypeOf(n.Rhs[0]).(*types.Tuple); ok && isCall(pass, n.Rhs[0]) {
						for i, lhs := range n.Lhs {
							if i < tuple.Len() && isFuncNoArgs(tuple.At(i).Type()) {
								if l := local(lhs); l != nil {
									callLocal[l] = true
								} else if v := field(lhs); v != nil {
									fs.fromCall[v] = true
								}
							}
						}
					}
				}
				if len(n.Lhs) != len(n.Rhs) {
					return true
				}
				for i, lhs := range n.Lhs {
					if l := local(lhs); l != nil {
						if isMakeChan(pass, n.Rhs[i]) {
							madeLocal[l] = true
						}
						if isFuncCall(pass, n.Rhs[i]) {
							callLocal[l] = true
						}
						continue
					}
					store(field(lhs), n.Rhs[i])
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						if l := local(name); l != nil && isMakeChan(pass, n.Values[i]) {
							madeLocal[l] = true
						} else if l != nil && isFuncCall(pass, n.Values[i]) {
							callLocal[l] = true
						}
					}
				}
			case *ast.CompositeLit:
				st, ok := typeOf(pass, n).(*types.Struct)
				if !ok {
					return true
				}
				for i, elt := range n.Elts {
					if kv, ok := elt.(*ast.KeyValueExpr); ok {
						if id, ok := kv.Key.(*ast.Ident); ok {
							if v, ok := pass.TypesInfo.Uses[id].(*types.Var); ok && v.IsField() && v.Pkg() == pass.Pkg {
								store(v.Origin(), kv.Value)
							}
						}
					} else if i < st.NumFields() && st.Field(i).Pkg() == pass.Pkg {
						store(st.Field(i).Origin(), elt)
					}
				}
			case *ast.CallExpr:
				if isBuiltin(pass, n.Fun, "close") && len(n.Args) == 1 {
					if v := field(n.Args[0]); v != nil {
						fs.closed[v] = true
					} else if l := local(n.Args[0]); l != nil {
						closedLocal[l] = true
					}
				}
			}
			return true
		})
	}
	for l, fields := range stored {
		for _, v := range fields {
			fs.made[v] = fs.made[v] || madeLocal[l]
			fs.closed[v] = fs.closed[v] || closedLocal[l]
			fs.fromCall[v] = fs.fromCall[v] || callLocal[l]
		}
	}
	return fs
}

func typeOf(pass *analysis.Pass, e ast.Expr) types.Type {
	t := pass.TypesInfo.TypeOf(e)
	if t == nil {
		return nil
	}
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	return t.Underlying()
}

func isBuiltin(pass *analysis.Pass, fun ast.Expr, name string) bool {
	id, ok := ast.Unparen(fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := pass.TypesInfo.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// writtenBy calls record with each expression that node n writes, without
// parentheses and, for an index expression, the map or slice indexed (m[k]
// = v writes m): the left-hand sides of an assignment that is not a
// definition, the operand of ++ or --, and the first argument of delete or
// clear, at the call. It reports whether n is such a call of delete or
// clear, whose inside holds nothing more to look at.
func writtenBy(pass *analysis.Pass, n ast.Node, record func(e ast.Expr, pos token.Pos)) (clearing bool) {
	target := func(e ast.Expr, pos token.Pos) {
		e = ast.Unparen(e)
		if ix, ok := e.(*ast.IndexExpr); ok {
			e = ix.X
		}
		record(e, pos)
	}
	switch n := n.(type) {
	case *ast.AssignStmt:
		if n.Tok != token.DEFINE {
			for _, lhs := range n.Lhs {
				target(lhs, lhs.Pos())
			}
		}
	case *ast.IncDecStmt:
		target(n.X, n.X.Pos())
	case *ast.CallExpr:
		if (isBuiltin(pass, n.Fun, "delete") || isBuiltin(pass, n.Fun, "clear")) && len(n.Args) > 0 {
			target(n.Args[0], n.Pos())
			return true
		}
	}
	return false
}

func isMakeChan(pass *analysis.Pass, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || !isBuiltin(pass, call.Fun, "make") {
		return false
	}
	_, isChan := pass.TypesInfo.TypeOf(call).Underlying().(*types.Chan)
	return isChan
}

// isFuncCall reports whether e calls a function (not a conversion or a
// builtin) whose result is a func().
func isFuncCall(pass *analysis.Pass, e ast.Expr) bool {
	if !isCall(pass, e) {
		return false
	}
	t := pass.TypesInfo.TypeOf(e)
	return t != nil && isFuncNoArgs(t)
}

// isCall reports whether e calls a function: not a conversion or a builtin.
func isCall(pass *analysis.Pass, e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	tv, ok := pass.TypesInfo.Types[call.Fun]
	return ok && !tv.IsType() && !tv.IsBuiltin()
}
