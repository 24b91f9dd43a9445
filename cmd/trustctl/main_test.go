package main

import (
	"strings"
	"testing"
)

func TestCommandsRefusePositionalArguments(t *testing.T) {
	for _, cmd := range []string{"calibrate", "convert", "eval", "probe", "score", "train"} {
		code, _, stderr := runCmd(t, cmd, "stray")
		if code != 2 || !strings.Contains(stderr, `unexpected arguments ["stray"]`) {
			t.Errorf("%s stray: exit %d, stderr %q", cmd, code, stderr)
		}
	}
}
