package likelihood

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"math"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/fixedpoint"
)

// scorePathFiles hold the integer score path: everything reachable from
// (*fixedEngine).score.
var scorePathFiles = []string{"fixedengine.go", "intmath.go"}

const fixedpointPath = "github.com/sensortrust/trustagent/fixedpoint"

// fixedpointScorePath are the fixedpoint functions the score path may call:
// all declared in fixedpoint's checked score-path files.
var fixedpointScorePath = map[string]bool{
	"DotI16": true, "DotI16I64": true, "QuadFormActive": true, "ExpQ": true, "LogSumExpQ": true,
	"RoundShift64": true, "RoundShift32": true, "ShiftLeftSat64": true, "MulRoundShift64": true,
}

// integerBuiltins may be called on the score path.
var integerBuiltins = map[string]bool{
	"len": true, "cap": true, "append": true, "clear": true, "copy": true, "min": true, "max": true,
	"int": true, "int8": true, "int16": true, "int32": true, "int64": true,
	"uint": true, "uint8": true, "uint16": true, "uint32": true, "uint64": true,
}

// TestScorePathIsIntegerOnly proves that the fixed-point score path uses no
// floating point: in the score-path files there is no import, no float or
// complex type name, no float literal, no float constant from elsewhere; every
// function or method called from (*fixedEngine).score, transitively, is
// declared in those files (or is an integer builtin); and the struct types
// the path reads (fixedEngine, qnet, refitTables) have integer fields only.
// Calls into package fixedpoint must name functions of its integer score
// path (proven there by TestIntegerOnly, and followed by intcheck in
// TestScorePathTypeCheck).
func TestScorePathIsIntegerOnly(t *testing.T) {
	fset := token.NewFileSet()
	funcs := map[string]*ast.FuncDecl{} // "name" or "Recv.name"
	var files []*ast.File
	for _, name := range scorePathFiles {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		for _, im := range f.Imports {
			if im.Path.Value != `"`+fixedpointPath+`"` || im.Name != nil {
				t.Errorf("%s imports %s; the score path may import only %s", name, im.Path.Value, fixedpointPath)
			}
		}
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				funcs[funcKey(fd)] = fd
			}
		}
		// No float anywhere in these files.
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.BasicLit:
				if x.Kind == token.FLOAT || x.Kind == token.IMAG {
					t.Errorf("%v: float literal %s", fset.Position(x.Pos()), x.Value)
				}
			case *ast.Ident:
				if isFloatName(x.Name) {
					t.Errorf("%v: float identifier %s", fset.Position(x.Pos()), x.Name)
				}
			}
			return true
		})
	}
	// Identifiers used in the files that are declared elsewhere in the
	// package must be integer constants or integer-only types.
	allowedExternal := map[string]bool{"qnet": true, "RefitConfig": true, "refitTables": true, "actClamp": true, "ScoreRegret": true}
	declared := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			switch x := d.(type) {
			case *ast.FuncDecl:
				declared[x.Name.Name] = true
			case *ast.GenDecl:
				for _, s := range x.Specs {
					switch y := s.(type) {
					case *ast.ValueSpec:
						for _, n := range y.Names {
							declared[n.Name] = true
						}
					case *ast.TypeSpec:
						declared[y.Name.Name] = true
					}
				}
			}
		}
	}
	pkgFiles := parsePackage(t, fset)
	// Reachability from score.
	start := "fixedEngine.score"
	if funcs[start] == nil {
		t.Fatalf("%s not found", start)
	}
	seen := map[string]bool{}
	fixedpointCalls := map[string]bool{}
	queue := []string{start}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if seen[k] {
			continue
		}
		seen[k] = true
		fd := funcs[k]
		if fd == nil {
			t.Errorf("score path calls %s, which is not declared in %v", k, scorePathFiles)
			continue
		}
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && id.Name != "_" && !declared[id.Name] && pkgFiles.decls[id.Name] && !allowedExternal[id.Name] {
				t.Errorf("%v: %s uses package identifier %s declared outside the score-path files",
					fset.Position(id.Pos()), k, id.Name)
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if integerBuiltins[fn.Name] {
					return true
				}
				queue = append(queue, fn.Name)
			case *ast.SelectorExpr:
				recv := ""
				if id, ok := fn.X.(*ast.Ident); ok && id.Name == "e" {
					recv = "fixedEngine."
				} else if id, ok := fn.X.(*ast.Ident); ok && id.Name == "fixedpoint" {
					// Proven integer-only by fixedpoint's TestIntegerOnly and
					// followed by TestScorePathTypeCheck.
					fixedpointCalls[fn.Sel.Name] = true
					return true
				}
				if recv == "" {
					t.Errorf("%v: call through %T on the score path", fset.Position(call.Pos()), fn.X)
					return true
				}
				queue = append(queue, recv+fn.Sel.Name)
			default:
				t.Errorf("%v: indirect call on the score path", fset.Position(call.Pos()))
			}
			return true
		})
	}
	for name := range fixedpointCalls {
		if !fixedpointScorePath[name] {
			t.Errorf("score path calls fixedpoint.%s, which is not one of its checked integer functions", name)
		}
	}
	if len(fixedpointCalls) == 0 {
		t.Error("no call into fixedpoint found; the walk is broken")
	}
	if len(seen) < 6 {
		t.Errorf("only %d functions reachable from score; the walk is broken", len(seen))
	}
	// Struct types read by the path: integer fields only.
	for _, name := range []string{"fixedEngine", "qnet", "refitTables"} {
		st := pkgFiles.structs[name]
		if st == nil {
			t.Fatalf("struct %s not found", name)
		}
		ast.Inspect(st, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && isFloatName(id.Name) {
				t.Errorf("struct %s has a float field (%v)", name, fset.Position(id.Pos()))
			}
			return true
		})
	}
}

func isFloatName(s string) bool {
	return s == "float32" || s == "float64" || s == "complex64" || s == "complex128" || s == "math"
}

func funcKey(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	typ := fd.Recv.List[0].Type
	if s, ok := typ.(*ast.StarExpr); ok {
		typ = s.X
	}
	return typ.(*ast.Ident).Name + "." + fd.Name.Name
}

type pkgInfo struct {
	decls   map[string]bool
	structs map[string]*ast.StructType
}

// parsePackage collects the package-level names and struct types of the
// non-test files.
func parsePackage(t *testing.T, fset *token.FileSet) pkgInfo {
	pkgs, err := parser.ParseDir(fset, ".", func(fi fs.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	info := pkgInfo{decls: map[string]bool{}, structs: map[string]*ast.StructType{}}
	for _, p := range pkgs {
		for _, f := range p.Files {
			for _, d := range f.Decls {
				switch x := d.(type) {
				case *ast.FuncDecl:
					if x.Recv == nil {
						info.decls[x.Name.Name] = true
					}
				case *ast.GenDecl:
					for _, s := range x.Specs {
						switch y := s.(type) {
						case *ast.ValueSpec:
							for _, n := range y.Names {
								info.decls[n.Name] = true
							}
						case *ast.TypeSpec:
							info.decls[y.Name.Name] = true
							if st, ok := y.Type.(*ast.StructType); ok {
								info.structs[y.Name.Name] = st
							}
						}
					}
				}
			}
		}
	}
	return info
}

// TestIntExpLog checks the exp and log-sum-exp the score path takes from
// fixedpoint, at Q12 and over the engine's ranges (σ = exp(s/2) for
// s in [−10, 4], and the log-sum-exp of importance weights), against
// float64. fixedpoint's own tests cover every format; this pins the bound
// the likelihood path relies on.
func TestIntExpLog(t *testing.T) {
	worstSig, worstLSE := 0.0, 0.0
	for s := int64(minLogVarQ12); s <= maxLogVarQ12; s += 7 {
		got := float64(fixedpoint.RoundShift64(fixedpoint.ExpQ(s, fracBits+1), 1)) / one
		want := math.Exp(float64(s) / one / 2)
		// Error in Q12 steps beyond ExpQ's relative term: at most
		// ¼ (ExpQ's rounding in Q13) + ½ (the halving shift).
		worstSig = math.Max(worstSig, (math.Abs(got-want)-1.0e-6*want)*one)
	}
	r := fixedpoint.NewRand(5)
	lw := make([]int64, 4)
	for k := 0; k < 2000; k++ {
		for i := range lw {
			lw[i] = int64(r.Intn(1<<24)) - 1<<23 + int64(r.Intn(64))<<20
		}
		got := float64(fixedpoint.LogSumExpQ(lw, fracBits)) / one
		mx := float64(lw[0]) / one
		for _, v := range lw {
			mx = math.Max(mx, float64(v)/one)
		}
		var sum float64
		for _, v := range lw {
			sum += math.Exp(float64(v)/one - mx)
		}
		worstLSE = math.Max(worstLSE, math.Abs(got-(mx+math.Log(sum))))
	}
	if worstSig > 0.75+1e-6 {
		t.Errorf("exp(s/2) worst error %.3g Q12 steps (+1e-6 relative) > 0.75", worstSig)
	}
	if worstLSE > 0.5/one+2.5e-6+4.0/(1<<31) {
		t.Errorf("log-sum-exp worst absolute error %.3g > 0.5 Q12 step + 2.5e-6", worstLSE)
	}
	t.Logf("exp(s/2) worst error %.3g Q12 steps (+1e-6 relative), log-sum-exp worst absolute error %.3g", worstSig, worstLSE)
}

// TestRefitTables checks the fixed random tables: ε has the moments of a
// standard normal, the directions are balanced ±1, and the first values are
// fixed (same sequence on every architecture).
func TestRefitTables(t *testing.T) {
	cfg := RefitConfig{Steps: 50, Directions: 10, Samples: 1000, Smoothing: 0.1, Step: 0.25, Seed: 42}
	tb := newRefitTables(cfg, 20)
	var s1, s2 float64
	for _, v := range tb.eps {
		f := float64(v) / one
		s1 += f
		s2 += f * f
	}
	n := float64(len(tb.eps))
	mean, vr := s1/n, s2/n-(s1/n)*(s1/n)
	if math.Abs(mean) > 0.03 || math.Abs(vr-1) > 0.05 {
		t.Errorf("ε mean %.3f variance %.3f", mean, vr)
	}
	var sd int
	for _, d := range tb.dirs {
		if d != 1 && d != -1 {
			t.Fatalf("direction entry %d", d)
		}
		sd += int(d)
	}
	if math.Abs(float64(sd)) > 4*math.Sqrt(float64(len(tb.dirs))) {
		t.Errorf("directions sum to %d over %d entries", sd, len(tb.dirs))
	}
	// Golden values, computed once on amd64; the generator is integer-only
	// so every architecture must reproduce them.
	want := []int64{688, -4308, -117, -4404}
	for i := range want {
		if tb.eps[i] != want[i] {
			t.Errorf("ε[%d] = %d, want %d", i, tb.eps[i], want[i])
		}
	}
}
