package fixedpoint

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/fixedpoint/intcheck"
)

// scorePathFiles are the files whose every function the on-robot scorer may
// call. quantize.go (float, quantisation time) and errors.go (error
// formatting) are deliberately absent; kernels reach errors.go only through
// shapeErr, which the check follows.
var scorePathFiles = []string{
	"act.go", "dense.go", "dot.go", "exp.go", "log.go", "lse.go", "mulround.go", "quadform.go",
	"rand.go", "requant.go", "sat.go", "tables.go",
}

// needGo skips (or, with CI=true, fails) a test that needs the go command.
func needGo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go command not found: %v", err)
		}
		t.Skipf("go command not found: %v", err)
	}
}

// TestIntegerOnly proves the score-path files use no floating point: no float
// or complex types, constants or conversions, no package math, no dynamic
// calls, following every call within the package.
func TestIntegerOnly(t *testing.T) {
	needGo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, err := intcheck.Check(ctx, intcheck.Config{Dir: ".", Files: scorePathFiles})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d functions checked, all integer-only", len(rep.Funcs))
	// The check must be able to fail: quantize.go is float by design.
	rep, err = intcheck.Check(ctx, intcheck.Config{Dir: ".", Files: []string{"quantize.go"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) == 0 {
		t.Fatal("intcheck found no float use in quantize.go")
	}
}
