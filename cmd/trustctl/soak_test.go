package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSoak(t *testing.T) {
	models := filepath.Join("..", "..", "deploy", "models")
	code, out, stderr := runCmd(t, "soak", "--models", models, "--worlds", "7,9", "--duration", "2s", "--sensor", "lidar")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"lidar, world 7: 20 frames", "lidar, world 9: 20 frames", "lidar, all worlds: 40 frames", "entries into ERROR", "into WARN"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "camera") {
		t.Errorf("--sensor lidar judged the camera:\n%s", out)
	}
	_, _, stderr = runCmd(t, "soak", "--models", models, "--worlds", "1", "--duration", "1s", "--sensor", "camera")
	if !strings.Contains(stderr, "trains or calibrates on world 1") {
		t.Errorf("no warning for a training world: %s", stderr)
	}
	for _, args := range [][]string{{"--worlds", "x"}, {"--worlds", "0"}, {"--duration", "0s"}, {"--sensor", "radar"}, {"extra"}} {
		if code, _, _ := runCmd(t, append([]string{"soak", "--models", models}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
