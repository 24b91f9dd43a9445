package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

func TestFlagsAfterPositionalArguments(t *testing.T) {
	model := tinyModel(t, sensors.KindLidar)
	code, out, stderr := runCmd(t, "inspect", model, "--json")
	if code != 0 {
		t.Fatalf("inspect MODEL --json: exit %d: %s", code, stderr)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("inspect MODEL --json did not print JSON: %v\n%s", err, out)
	}
	// "--" ends the flags: what follows is positional even if it looks like a flag.
	code, _, stderr = runCmd(t, "inspect", "--", "--json")
	if code != 1 || !strings.Contains(stderr, "--json") {
		t.Fatalf("inspect -- --json: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = runCmd(t, "bundle", "verify", model, "--pub")
	if code != 2 || !strings.Contains(stderr, "flag needs an argument") {
		t.Fatalf("bundle verify MODEL --pub: exit %d, stderr %q", code, stderr)
	}
}

func TestUsageErrorIsOneShortLine(t *testing.T) {
	for _, args := range [][]string{
		{"eval", "--bogus"},
		{"train", "stray", "--quiet"},
		{"inspect", "--json", "--nope", "x"},
		{"bundle", "keygen", "--what"},
		{"bundle"},
		{"nosuchcommand"},
	} {
		code, out, stderr := runCmd(t, args...)
		if code != 2 || out != "" || strings.Count(stderr, "\n") != 1 || strings.Contains(stderr, "usage:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, stderr)
		}
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	runs := [][]string{{"-h"}, {"--help"}, {"help"}, {"bundle", "-h"}}
	for _, c := range commands() {
		runs = append(runs, []string{c.name, "-h"}, []string{c.name, "--help"})
	}
	for _, sub := range []string{"keygen", "sign", "verify", "inspect", "push"} {
		runs = append(runs, []string{"bundle", sub, "-h"})
	}
	for _, args := range runs {
		code, out, stderr := runCmd(t, args...)
		if code != 0 || out == "" || stderr != "" {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want exit 0 and usage on stdout", args, code, len(out), stderr)
		}
	}
}

func TestProgressWithoutTerminalIsPlainLines(t *testing.T) {
	var buf bytes.Buffer
	progress, finish := progressBars(false, &buf)
	for i := 0; i <= 100; i++ {
		progress("train", i, 100)
	}
	progress("calibrate", 1, 0)
	finish()
	out := buf.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Fatalf("progress to a non-terminal has carriage returns or escapes: %q", out)
	}
	for _, want := range []string{"train: started\n", "train: done, 100/100 (100%) in ", "calibrate: started\n", "calibrate: done, 1 in "} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lines lack %q:\n%s", want, out)
		}
	}

	buf.Reset()
	now := time.Unix(0, 0)
	l := &progressLines{w: &buf, every: 10 * time.Second, now: func() time.Time { return now }}
	for i := 0; i < 60; i++ {
		l.progress("epochs", i, 60)
		now = now.Add(time.Second)
	}
	l.finish()
	if n := strings.Count(buf.String(), "\n"); n != 2+5 {
		t.Errorf("60 s of progress at one line per 10 s wrote %d lines:\n%s", n, buf.String())
	}

	buf.Reset()
	progress, finish = progressBars(true, &buf)
	progress("train", 1, 2)
	finish()
	if buf.Len() != 0 {
		t.Errorf("quiet progress wrote %q", buf.String())
	}
}

func TestDefaultModelID(t *testing.T) {
	for _, c := range []struct {
		kind sensors.Kind
		out  string
		want string
	}{
		{sensors.KindLidar, "lidar.bundle", "lidar"},
		{sensors.KindLidar, "models/lidar-v2.bundle", "lidar-v2"},
		{sensors.KindLidar, "front.bundle", "lidar-front"},
		{sensors.KindCamera, "lidar.bundle", "camera-lidar"},
		{sensors.KindCamera, "/tmp/camera", "camera"},
		{sensors.KindLidar, "lidarx.bundle", "lidar-lidarx"},
	} {
		if got := defaultModelID(c.kind, c.out); got != c.want {
			t.Errorf("defaultModelID(%v, %q) = %q, want %q", c.kind, c.out, got, c.want)
		}
	}
}
