package intcheck

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go command not found: %v", err)
		}
		t.Skipf("go command not found: %v", err)
	}
}

// writeModule creates a throwaway module "example.com/m" with the given
// files (path relative to the module root → contents).
func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.23\n"
	for name, src := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const cleanSrc = `package a

import "math/bits"

type Q struct{ v int32 }

func (q *Q) Add(x int32) int32 { q.v += x; return helper(q.v) }

func helper(x int32) int32 { return int32(bits.Len32(uint32(x))) + max(x, 0) }

func Sum[T int16 | int32](xs []T) (s int64) {
	for _, x := range xs {
		s += int64(x)
	}
	return s
}

func Use(xs []int16) int64 { var q Q; q.Add(3); return Sum(xs) }
`

// badSrc holds one violation of each kind, each on a line ending in a
// "// want: <substring>" comment.
const badSrc = `package a

import (
	"math"
	"strconv"
)

type F struct{ x float32 }

func Root(x int32, f func() int) int32 {
	y := float64(x) // want: variable y
	_ = y
	z := int32(2.5 * 2) // want: floating-point constant
	_ = z
	_ = math.Abs(-1) // want: call into package math
	_ = strconv.Itoa(3) // want: call into strconv.Itoa
	_ = f() // want: dynamic call
	var e error
	_ = e.Error() // want: interface method
	for v := range seq { // want: range over function value
		_ = v
	}
	for v := range ints(3) {
		_ = v
	}
	return half(x)
}

var seq func(func(int32) bool)

func ints(n int32) func(func(int32) bool) {
	return func(yield func(int32) bool) {
		for i := int32(0); i < n; i++ {
			if !yield(i * 2) { // want: dynamic call
				return
			}
		}
	}
}

func half(x int32) int32 {
	var s F // want: variable s
	_ = s
	return x / 2
}

func Sig(v float64) int32 { return 0 } // want: signature uses floating point

func NotReached() float64 { return 1.5 }
`

func TestCheckClean(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{"a/a.go": cleanSrc})
	rep, err := Check(context.Background(), Config{Dir: filepath.Join(dir, "a"), Funcs: []string{"Use"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/m/a.Q.Add", "example.com/m/a.Sum", "example.com/m/a.Use", "example.com/m/a.helper"}
	if strings.Join(rep.Funcs, " ") != strings.Join(want, " ") {
		t.Errorf("functions checked %v, want %v", rep.Funcs, want)
	}
}

func TestCheckFindsEveryKind(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{"a/a.go": badSrc})
	rep, err := Check(context.Background(), Config{Dir: filepath.Join(dir, "a"), Funcs: []string{"Root", "Sig"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(badSrc, "\n")
	for i, l := range lines {
		_, want, ok := strings.Cut(l, "// want: ")
		if !ok {
			continue
		}
		found := false
		for _, v := range rep.Violations {
			if v.Pos.Line == i+1 && strings.Contains(v.Msg, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("line %d: no violation containing %q; got:\n%v", i+1, want, rep.Err())
		}
	}
	for _, v := range rep.Violations {
		if strings.Contains(v.Func, "NotReached") {
			t.Errorf("unreached function reported: %v", v)
		}
	}
}

func TestCheckFollow(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{
		"a/a.go": "package a\n\nimport \"example.com/m/b\"\n\nfunc A(x int32) int32 { return b.B(x) }\n",
		"b/b.go": "package b\n\nfunc B(x int32) int32 { return int32(float32(x) * 0.5) }\n",
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Not followed and not allowed: the call itself is the violation.
	rep, err := Check(ctx, Config{Dir: filepath.Join(dir, "a"), Files: []string{"a.go"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0].Msg, "neither followed nor allowed") {
		t.Fatalf("unfollowed call: %v", rep.Err())
	}
	// Followed: the float inside b.B is found.
	rep, err = Check(ctx, Config{Dir: filepath.Join(dir, "a"), Files: []string{"a.go"}, Follow: []string{"example.com/m/b"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) == 0 || rep.Violations[0].Func != "example.com/m/b.B" {
		t.Fatalf("followed call: %v", rep.Err())
	}
	// Allowed: trusted without looking.
	rep, err = Check(ctx, Config{Dir: filepath.Join(dir, "a"), Files: []string{"a.go"}, Allow: []string{"example.com/m/b"}})
	if err != nil || rep.Err() != nil {
		t.Fatalf("allowed call: %v %v", err, rep.Err())
	}
}

func TestCheckConfigErrors(t *testing.T) {
	needGo(t)
	dir := writeModule(t, map[string]string{"a/a.go": cleanSrc})
	for name, c := range map[string]Config{
		"no dir":    {Funcs: []string{"Use"}},
		"no roots":  {Dir: filepath.Join(dir, "a")},
		"bad func":  {Dir: filepath.Join(dir, "a"), Funcs: []string{"Nope"}},
		"bad file":  {Dir: filepath.Join(dir, "a"), Files: []string{"nope.go"}},
		"not a pkg": {Dir: dir, Funcs: []string{"Use"}},
	} {
		if _, err := Check(context.Background(), c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
