package intcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// listPkg is the part of `go list -json` output the loader uses.
type listPkg struct {
	ImportPath string
	Dir        string
	Export     string
	GoFiles    []string
	Error      *struct{ Err string }
}

// goList runs `go list -export -deps -json` on pattern in dir.
func goList(ctx context.Context, dir, pattern string) (map[string]*listPkg, *listPkg, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-export", "-deps", "-json", pattern)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("intcheck: go list %s in %s: %w: %s", pattern, dir, err, bytes.TrimSpace(stderr.Bytes()))
	}
	pkgs := map[string]*listPkg{}
	var last *listPkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		p := new(listPkg)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, nil, fmt.Errorf("intcheck: decoding go list output: %w", err)
		}
		if p.Error != nil {
			return nil, nil, fmt.Errorf("intcheck: package %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs[p.ImportPath] = p
		last = p // -deps lists the named package last
	}
	if last == nil {
		return nil, nil, fmt.Errorf("intcheck: go list %s in %s: no package", pattern, dir)
	}
	return pkgs, last, nil
}

// srcPkg is a package type-checked from source.
type srcPkg struct {
	path  string
	info  *types.Info
	funcs map[string]*ast.FuncDecl // by funcKey
	files map[string][]*ast.FuncDecl
}

// loader type-checks packages from source against export data.
type loader struct {
	fset *token.FileSet
	list map[string]*listPkg
	imp  types.Importer
	src  map[string]*srcPkg
}

func newLoader(list map[string]*listPkg) *loader {
	fset := token.NewFileSet()
	lookup := func(path string) (io.ReadCloser, error) {
		p, ok := list[path]
		if !ok || p.Export == "" {
			return nil, fmt.Errorf("intcheck: no export data for %q", path)
		}
		return os.Open(p.Export)
	}
	return &loader{fset: fset, list: list, imp: importer.ForCompiler(fset, "gc", lookup), src: map[string]*srcPkg{}}
}

// load parses and type-checks the package at import path from its source.
func (l *loader) load(path string) (*srcPkg, error) {
	if p, ok := l.src[path]; ok {
		return p, nil
	}
	lp, ok := l.list[path]
	if !ok {
		return nil, fmt.Errorf("intcheck: package %q is not a dependency of the checked package", path)
	}
	var files []*ast.File
	byName := map[string][]*ast.FuncDecl{}
	funcs := map[string]*ast.FuncDecl{}
	for _, name := range lp.GoFiles {
		f, err := parser.ParseFile(l.fset, filepath.Join(lp.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("intcheck: %w", err)
		}
		files = append(files, f)
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				byName[name] = append(byName[name], fd)
				funcs[declKey(fd)] = fd
			}
		}
	}
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	conf := types.Config{Importer: l.imp}
	if _, err := conf.Check(path, l.fset, files, info); err != nil {
		return nil, fmt.Errorf("intcheck: type-checking %s: %w", path, err)
	}
	p := &srcPkg{path: path, info: info, funcs: funcs, files: byName}
	l.src[path] = p
	return p, nil
}

// declKey names a function declaration "F" or a method "T.M".
func declKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	for {
		switch x := t.(type) {
		case *ast.StarExpr:
			t = x.X
			continue
		case *ast.IndexExpr:
			t = x.X
			continue
		case *ast.IndexListExpr:
			t = x.X
			continue
		case *ast.ParenExpr:
			t = x.X
			continue
		}
		break
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name + "." + fd.Name.Name
	}
	return fd.Name.Name
}

// objKey names a function object the way declKey names its declaration.
func objKey(fn *types.Func) string {
	fn = fn.Origin()
	sig, _ := fn.Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return fn.Name()
	}
	t := sig.Recv().Type()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name() + "." + fn.Name()
	}
	return fn.Name()
}
