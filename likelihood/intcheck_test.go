package likelihood

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/fixedpoint/intcheck"
)

// TestScorePathTypeCheck is the second, type-checked proof of the integer
// score path (fixedpoint/intcheck: go/types over the package, following
// every static call from (*fixedEngine).score, into package fixedpoint
// too), and shows that the check can
// fail by running it on the float engine.
func TestScorePathTypeCheck(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("go command not found: %v", err)
		}
		t.Skipf("go command not found: %v", err)
	}
	if runtime.GOARCH != "amd64" && os.Getenv("CI") != "true" {
		t.Skip("source analysis is architecture-independent; run on the build host")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := intcheck.Check(ctx, intcheck.Config{Dir: ".", Funcs: []string{"fixedEngine.score"}, Follow: []string{fixedpointPath}})
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d functions on the score path, all integer-only: %v", len(rep.Funcs), rep.Funcs)
	rep, err = intcheck.Check(ctx, intcheck.Config{Dir: ".", Funcs: []string{"floatEngine.refit"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) == 0 {
		t.Fatal("intcheck found no float use in floatEngine.refit")
	}
}
