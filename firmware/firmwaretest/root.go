package firmwaretest

import (
	"os"
	"testing"
)

// RequireRoot skips a test that must make files owned by root, as a
// package manager does, when it does not run as root; under CI=true it
// fails instead (CI runs as root).
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := "needs root, to make files owned by root as a package manager does"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}
