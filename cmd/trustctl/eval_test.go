package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/sensors"
)

func TestEvalPerFaultWithReport(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	clean := simDir(t, sensors.KindCamera, 5, 30)
	dir := t.TempDir()
	var faultArgs []string
	for _, f := range []string{"black_frame", "overexposure"} {
		out := filepath.Join(dir, f)
		if code, _, stderr := runCmd(t, "inject", "--fault", f, "--severity", "3", "--in", clean, "--out", out); code != 0 {
			t.Fatalf("inject: %s", stderr)
		}
		faultArgs = append(faultArgs, "--faults", out)
	}
	js, html, md := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.html"), filepath.Join(dir, "r.md")
	args := append([]string{"eval", "--model", model, "--clean", clean, "--json", js, "--report", html, "--markdown", md, "--quiet", "--exact-steps", "3"}, faultArgs...)
	code, stdout, stderr := runCmd(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "| black_frame | 3 |") || strings.Contains(stderr, "training data") {
		t.Fatalf("table:\n%s", stdout)
	}
	var res evaluation.Result
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Clean.Frames != 30 {
		t.Fatalf("groups %d, clean %d", len(res.Groups), res.Clean.Frames)
	}
	for _, g := range res.Groups {
		for _, s := range append([]string{evaluation.FixedLR}, evaluation.Baselines()...) {
			m, ok := g.Metrics[s]
			if !ok || m.AUROC < 0 || m.AUROC > 1 || m.AUPR < 0 || m.AUPR > 1 {
				t.Fatalf("%s %s: %+v", g.Fault, s, m)
			}
		}
		if g.Fault == "black_frame" && g.Metrics[evaluation.FixedLR].AUROC < 0.9 {
			t.Errorf("black frames: fixed-point AUROC %.3f", g.Metrics[evaluation.FixedLR].AUROC)
		}
	}
	h, _ := os.ReadFile(html)
	if strings.Count(string(h), "<svg") != 2+3 || strings.Contains(string(h), "http://") && !strings.Contains(string(h), "xmlns") {
		t.Fatalf("report has %d plots", strings.Count(string(h), "<svg"))
	}
	m, _ := os.ReadFile(md)
	if !strings.HasPrefix(strings.TrimSpace(string(m)), "camera, model") {
		t.Fatalf("markdown %q", m)
	}
}

// TestEvalLabelledStream: a simulated stream with a scheduled fault gives
// a detection latency and a false-alarm rate.
func TestEvalLabelledStream(t *testing.T) {
	dir := t.TempDir()
	// The model is trained on the same drive without the fault, so that the
	// clean lead-in is judged OK.
	cleanSc := filepath.Join(dir, "clean.yaml")
	os.WriteFile(cleanSc, []byte("name: c\nseed: 1\nduration: 8s\nevents: []\n"), 0o644)
	cleanOut := filepath.Join(dir, "clean")
	if code, _, stderr := runCmd(t, "sim", "--scenario", cleanSc, "--out", cleanOut, "--lidar", "", "--width", "64", "--height", "48", "--seed", "9"); code != 0 {
		t.Fatalf("sim: %s", stderr)
	}
	clean := filepath.Join(cleanOut, "cam0")
	model := filepath.Join(dir, "m.bundle")
	if code, _, stderr := runCmd(t, append([]string{"train", "--sensor", "camera", "--in", clean, "--out", model}, tinyTrainFlags...)...); code != 0 {
		t.Fatalf("train: %s", stderr)
	}
	sc := filepath.Join(dir, "sc.yaml")
	os.WriteFile(sc, []byte("name: t\nseed: 1\nduration: 8s\nevents:\n  - at: 3s\n    sensor: cam0\n    fault: black_frame\n    severity: 3\n    for: 2s\n"), 0o644)
	simOut := filepath.Join(dir, "sim")
	if code, _, stderr := runCmd(t, "sim", "--scenario", sc, "--out", simOut, "--lidar", "", "--width", "64", "--height", "48", "--seed", "9"); code != 0 {
		t.Fatalf("sim: %s", stderr)
	}
	js := filepath.Join(dir, "r.json")
	code, stdout, stderr := runCmd(t, "eval", "--model", model, "--clean", clean, "--faults", filepath.Join(simOut, "cam0"),
		"--labels", filepath.Join(simOut, "labels.csv"), "--json", js, "--baselines", "recon", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res evaluation.Result
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 1 || res.Groups[0].Fault != "black_frame" || res.Groups[0].Episodes != 1 {
		t.Fatalf("groups %+v", res.Groups)
	}
	g := res.Groups[0]
	if g.Detected != 1 || g.LatencyFrames == nil || *g.LatencyFrames < 2 || *g.LatencyFrames > 10 {
		t.Fatalf("black frames: detected %d, latency %v (k-of-n needs at least 2 frames)", g.Detected, fmtPtr(g.LatencyFrames))
	}
	if res.StreamCleanHours <= 0 {
		t.Fatalf("no clean stretch counted: %+v", res)
	}
	// The terminal says what the JSON says about every labelled stream.
	if len(res.Streams) != 1 || res.Streams[0].Dir != filepath.Join(simOut, "cam0") {
		t.Fatalf("streams %+v", res.Streams)
	}
	s := res.Streams[0]
	want := fmt.Sprintf("labelled stream %s: %d false alarms on %d clean frames (%.4f h): %.1f per hour", s.Dir, s.FalseAlarms, s.CleanFrames, s.CleanHours, s.FalseAlarmsPerHour)
	if !strings.Contains(stdout, want) {
		t.Errorf("terminal lacks %q:\n%s", want, stdout)
	}
	// The clean recording is the one the model was trained on.
	if !res.CleanIsTrainingData || !strings.Contains(stderr, "is the model's training data") || !strings.Contains(stdout, "is the model's training data") {
		t.Errorf("no training data warning: %v, stderr %q", res.CleanIsTrainingData, stderr)
	}
}

func TestEvalSummaryStreams(t *testing.T) {
	res := &evaluation.Result{
		Clean: evaluation.CleanResult{Dir: "clean", Frames: 100},
		Streams: []evaluation.StreamAlarms{
			{Dir: "a", CleanFrames: 300, CleanHours: 0.01, FalseAlarms: 0},
			{Dir: "b", CleanFrames: 300, CleanHours: 0.0319, FalseAlarms: 6, FalseAlarmsPerHour: 187.8},
		},
		StreamFalseAlarms: 6, StreamCleanHours: 0.0419, StreamFalseAlarmsPerHour: 143.2,
	}
	got := strings.Join(evaluation.Summary(res), "\n")
	for _, want := range []string{"labelled stream a: 0 false alarms", "labelled stream b: 6 false alarms on 300 clean frames (0.0319 h): 187.8 per hour",
		"labelled streams: 6 false alarms over 0.0419 h of clean stretches: 143.2 per hour"} {
		if !strings.Contains(got, want) {
			t.Errorf("summary lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "training data") {
		t.Errorf("training data warning without overlap:\n%s", got)
	}
}

func TestEvalBadInput(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	clean := simDir(t, sensors.KindCamera, 5, 5)
	lid := simDir(t, sensors.KindLidar, 5, 2)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--clean", clean, "--faults", lid}, "not camera"},
		{[]string{"--clean", clean, "--faults", t.TempDir()}, "no frames"},
		{[]string{"--clean", clean, "--faults", clean, "--baselines", "magic"}, "unknown baseline"},
		{[]string{"--clean", clean}, "--faults"},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, append([]string{"eval", "--model", model, "--quiet"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q", c.args, code, stderr)
		}
	}
}

func fmtPtr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
