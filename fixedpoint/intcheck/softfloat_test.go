package intcheck

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSoftFloat(t *testing.T) {
	needGo(t)
	if testing.Short() {
		t.Skip("builds and disassembles an ARM binary")
	}
	dir := writeModule(t, map[string]string{"k/k.go": `package k

//go:noinline
func Int(x int32) int32 { return helper(x) * 3 }

//go:noinline
func helper(x int32) int32 { return x >> 1 }

//go:noinline
func Float(x int32) int32 { return Int(int32(float64(x) * 1.5)) }
`})
	probe := []byte(`package main

import (
	"os"

	"example.com/m/k"
)

func main() { os.Exit(int(k.Int(int32(len(os.Args))) + k.Float(int32(len(os.Args))))) }
`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := SoftFloat(ctx, SoftFloatConfig{Dir: filepath.Join(dir, "k"), Probe: probe, Roots: regexp.MustCompile(`^example\.com/m/k\.Int$`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Calls) != 0 || rep.Walked < 2 {
		t.Fatalf("integer root: walked %d, soft-float calls %v", rep.Walked, rep.Calls)
	}
	rep, err = SoftFloat(ctx, SoftFloatConfig{Dir: filepath.Join(dir, "k"), Probe: probe, Roots: regexp.MustCompile(`^example\.com/m/k\.Float$`)})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Calls) == 0 {
		t.Fatal("float root: no soft-float call found")
	}
	for _, c := range rep.Calls {
		if c.Path[0] != "example.com/m/k.Float" || !strings.HasPrefix(c.Routine, "runtime.f") {
			t.Errorf("unexpected call %+v", c)
		}
	}
	if _, err := SoftFloat(ctx, SoftFloatConfig{Dir: filepath.Join(dir, "k"), Probe: probe, Roots: regexp.MustCompile(`^nothing$`)}); err == nil {
		t.Error("no error for roots that match nothing")
	}
}

func TestSoftFloatRoutineNames(t *testing.T) {
	for _, s := range []string{"runtime.fadd64", "runtime.fmul32", "runtime.f64toint64", "runtime.fint64to64", "runtime.fcmp64", "runtime.fuint64to32", "runtime.funpack64", "runtime.uint64tofloat64"} {
		if !softFloatRoutine.MatchString(s) {
			t.Errorf("%s not recognised as soft float", s)
		}
	}
	for _, s := range []string{"runtime.int64div", "runtime.uint64mod", "runtime.udiv", "runtime.panicIndex", "main.fadd64"} {
		if softFloatRoutine.MatchString(s) {
			t.Errorf("%s wrongly recognised as soft float", s)
		}
	}
}
