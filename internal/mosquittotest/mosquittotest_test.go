package mosquittotest

import (
	"runtime"
	"testing"
)

// recorder is a testing.TB that records Fatal and Skip instead of acting.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatal(a ...any)        { r.fatal = a[0].(string); runtime.Goexit() }
func (r *recorder) Skip(a ...any)         { r.skip = a[0].(string); runtime.Goexit() }
func (r *recorder) Fatalf(string, ...any) { r.fatal = "fatalf"; runtime.Goexit() }

func requireIn(tb *recorder, tool string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Require(tb, tool)
	}()
	<-done
}

func TestRequireSkipsOrFailsUnderCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	requireIn(r, "no-such-tool-trustagent")
	if r.skip == "" || r.fatal != "" {
		t.Fatalf("without CI: skip %q fatal %q", r.skip, r.fatal)
	}
	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	requireIn(r, "no-such-tool-trustagent")
	if r.fatal == "" || r.skip != "" {
		t.Fatalf("with CI=true: skip %q fatal %q", r.skip, r.fatal)
	}
}
