package intcheck

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// DefaultAllow lists the packages whose functions Check lets checked code
// call without following them: integer bit manipulation only.
var DefaultAllow = []string{"math/bits"}

// Config says what Check examines.
type Config struct {
	// Dir is the directory of the package to check (a directory inside a Go
	// module; the go command runs there).
	Dir string
	// Files are base names of files in Dir; every function and method
	// declared in them is a root.
	Files []string
	// Funcs are further roots in the package: "F" for a function, "T.M" for
	// a method of type T.
	Funcs []string
	// Follow lists import paths, besides the checked package, whose functions
	// are checked in turn when called (for example the fixedpoint package
	// from a scorer).
	Follow []string
	// Allow lists import paths whose functions may be called without being
	// checked. Nil means DefaultAllow. Package math is refused even if
	// listed.
	Allow []string
}

// Violation is one use of floating point (or an unprovable call).
type Violation struct {
	Pos  token.Position
	Func string // "importpath.F" or "importpath.T.M" in which it occurs
	Msg  string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d:%d: in %s: %s", filepath.Base(v.Pos.Filename), v.Pos.Line, v.Pos.Column, v.Func, v.Msg)
}

// Report is the outcome of Check.
type Report struct {
	Funcs      []string // every function examined, sorted
	Violations []Violation
}

// Err returns nil if there is no violation and an *Error otherwise.
func (r *Report) Err() error {
	if len(r.Violations) == 0 {
		return nil
	}
	return &Error{Violations: r.Violations}
}

// Error lists the violations of a failed check.
type Error struct{ Violations []Violation }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "intcheck: %d violations of integer-only code:", len(e.Violations))
	for _, v := range e.Violations {
		b.WriteString("\n\t")
		b.WriteString(v.String())
	}
	return b.String()
}

// Check loads the package in c.Dir and examines the roots it names and
// everything they call within the package and the followed packages. A
// non-nil error means the check could not run; violations are in the
// Report (see Report.Err).
func Check(ctx context.Context, c Config) (*Report, error) {
	if c.Dir == "" {
		return nil, errors.New("intcheck: Config.Dir is empty")
	}
	if len(c.Files) == 0 && len(c.Funcs) == 0 {
		return nil, errors.New("intcheck: no roots: set Config.Files or Config.Funcs")
	}
	list, target, err := goList(ctx, c.Dir, ".")
	if err != nil {
		return nil, err
	}
	l := newLoader(list)
	tp, err := l.load(target.ImportPath)
	if err != nil {
		return nil, err
	}
	allow := c.Allow
	if allow == nil {
		allow = DefaultAllow
	}
	w := &walker{
		l:      l,
		follow: append([]string{target.ImportPath}, c.Follow...),
		allow:  allow,
		seen:   map[string]bool{},
		lines:  map[string]bool{},
	}
	for _, f := range c.Files {
		decls, ok := tp.files[f]
		if !ok && !slices.Contains(target.GoFiles, f) {
			return nil, fmt.Errorf("intcheck: file %s is not a Go file of %s", f, target.ImportPath)
		}
		for _, fd := range decls {
			w.push(tp.path, declKey(fd))
		}
	}
	for _, f := range c.Funcs {
		if _, ok := tp.funcs[f]; !ok {
			return nil, fmt.Errorf("intcheck: no function %s in %s", f, target.ImportPath)
		}
		w.push(tp.path, f)
	}
	for len(w.queue) > 0 {
		it := w.queue[0]
		w.queue = w.queue[1:]
		if err := w.visit(it.path, it.key); err != nil {
			return nil, err
		}
	}
	sort.Strings(w.funcs)
	sort.SliceStable(w.out, func(i, j int) bool {
		a, b := w.out[i].Pos, w.out[j].Pos
		if a.Filename != b.Filename {
			return a.Filename < b.Filename
		}
		return a.Offset < b.Offset
	})
	return &Report{Funcs: w.funcs, Violations: w.out}, nil
}

type item struct{ path, key string }

type walker struct {
	l      *loader
	follow []string
	allow  []string
	seen   map[string]bool
	queue  []item
	funcs  []string
	out    []Violation
	lines  map[string]bool // file:line:msg already reported
}

func (w *walker) push(path, key string) {
	id := path + "." + key
	if w.seen[id] {
		return
	}
	w.seen[id] = true
	w.queue = append(w.queue, item{path, key})
}

func (w *walker) report(pos token.Pos, fn, msg string) {
	p := w.l.fset.Position(pos)
	k := fmt.Sprintf("%s:%d:%s", p.Filename, p.Line, msg)
	if w.lines[k] {
		return
	}
	w.lines[k] = true
	w.out = append(w.out, Violation{Pos: p, Func: fn, Msg: msg})
}

func (w *walker) visit(path, key string) error {
	p, err := w.l.load(path)
	if err != nil {
		return err
	}
	fd, ok := p.funcs[key]
	if !ok {
		// Declared without a body in Go source (assembly) or generated:
		// nothing to inspect, but it cannot be proven either.
		w.report(token.NoPos, path+"."+key, "no Go declaration found")
		return nil
	}
	name := path + "." + key
	w.funcs = append(w.funcs, name)
	info := p.info
	if obj, ok := info.Defs[fd.Name].(*types.Func); ok && hasFloat(obj.Type(), nil) {
		w.report(fd.Name.Pos(), name, "signature uses floating point: "+obj.Type().String())
	}
	if fd.Body == nil {
		w.report(fd.Pos(), name, "function without a Go body")
		return nil
	}
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.Ident:
			if obj, ok := info.Defs[x]; ok && obj != nil {
				if _, isVar := obj.(*types.Var); isVar && hasFloat(obj.Type(), nil) {
					w.report(x.Pos(), name, fmt.Sprintf("variable %s has floating-point type %s", x.Name, obj.Type()))
				}
			}
		case *ast.CallExpr:
			w.call(name, info, x)
		case *ast.RangeStmt:
			// Ranging over a function calls it. A call expression there is
			// checked as a call (and a function literal it returns is part of
			// a body that is inspected); any other function value is dynamic.
			if tv, ok := info.Types[x.X]; ok && tv.Type != nil {
				if _, isSig := tv.Type.Underlying().(*types.Signature); isSig {
					if _, isCall := ast.Unparen(x.X).(*ast.CallExpr); !isCall {
						w.report(x.X.Pos(), name, "range over function value "+types.ExprString(x.X)+" cannot be followed")
					}
				}
			}
		}
		if e, ok := n.(ast.Expr); ok {
			if tv, ok := info.Types[e]; ok && !tv.IsType() && tv.Type != nil && hasFloat(tv.Type, nil) {
				what := "floating-point expression"
				if tv.Value != nil {
					what = "floating-point constant"
				}
				w.report(e.Pos(), name, fmt.Sprintf("%s %s of type %s", what, types.ExprString(e), tv.Type))
				return false // one report per outermost float expression
			}
		}
		return true
	})
	return nil
}

// call classifies the callee of a call expression.
func (w *walker) call(fn string, info *types.Info, call *ast.CallExpr) {
	f := ast.Unparen(call.Fun)
	if tv, ok := info.Types[f]; ok && tv.IsType() {
		return // conversion: its result type is checked as an expression
	}
	switch x := f.(type) {
	case *ast.IndexExpr: // explicit instantiation f[T]
		f = x.X
	case *ast.IndexListExpr:
		f = x.X
	}
	var obj types.Object
	switch x := f.(type) {
	case *ast.Ident:
		obj = info.Uses[x]
	case *ast.SelectorExpr:
		if sel, ok := info.Selections[x]; ok {
			obj = sel.Obj()
		} else {
			obj = info.Uses[x.Sel]
		}
	}
	switch o := obj.(type) {
	case *types.Builtin:
		return
	case *types.Func:
		sig, _ := o.Type().(*types.Signature)
		if sig != nil && sig.Recv() != nil && types.IsInterface(sig.Recv().Type()) {
			w.report(call.Pos(), fn, "dynamic call of interface method "+o.Name())
			return
		}
		if o.Pkg() == nil {
			return // universe methods such as error.Error are interfaces, handled above
		}
		path := o.Pkg().Path()
		switch {
		case path == "math":
			w.report(call.Pos(), fn, "call into package math: math."+o.Name())
		case slices.Contains(w.follow, path):
			w.push(path, objKey(o))
		case slices.Contains(w.allow, path):
		default:
			w.report(call.Pos(), fn, fmt.Sprintf("call into %s.%s, which is neither followed nor allowed", path, objKey(o)))
		}
	default:
		w.report(call.Pos(), fn, "dynamic call of "+types.ExprString(call.Fun)+" cannot be followed")
	}
}

// hasFloat reports whether t is or contains a floating-point or complex type.
func hasFloat(t types.Type, seen map[types.Type]bool) bool {
	if t == nil {
		return false
	}
	if seen == nil {
		seen = map[types.Type]bool{}
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch u := types.Unalias(t).(type) {
	case *types.Basic:
		return u.Info()&(types.IsFloat|types.IsComplex) != 0
	case *types.Named:
		return hasFloat(u.Underlying(), seen)
	case *types.Pointer:
		return hasFloat(u.Elem(), seen)
	case *types.Slice:
		return hasFloat(u.Elem(), seen)
	case *types.Array:
		return hasFloat(u.Elem(), seen)
	case *types.Chan:
		return hasFloat(u.Elem(), seen)
	case *types.Map:
		return hasFloat(u.Key(), seen) || hasFloat(u.Elem(), seen)
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			if hasFloat(u.Field(i).Type(), seen) {
				return true
			}
		}
	case *types.Tuple:
		for i := 0; i < u.Len(); i++ {
			if hasFloat(u.At(i).Type(), seen) {
				return true
			}
		}
	case *types.Signature:
		return hasFloat(u.Params(), seen) || hasFloat(u.Results(), seen)
	case *types.TypeParam:
		return hasFloat(u.Constraint(), seen)
	case *types.Interface:
		for i := 0; i < u.NumEmbeddeds(); i++ {
			if hasFloat(u.EmbeddedType(i), seen) {
				return true
			}
		}
	case *types.Union:
		for i := 0; i < u.Len(); i++ {
			if hasFloat(u.Term(i).Type(), seen) {
				return true
			}
		}
	}
	return false
}
