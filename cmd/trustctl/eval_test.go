package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
	if !strings.Contains(stdout, "| black_frame | 3 |") {
		t.Fatalf("table:\n%s", stdout)
	}
	var res evalResult
	b, _ := os.ReadFile(js)
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Groups) != 2 || res.Clean.Frames != 30 {
		t.Fatalf("groups %d, clean %d", len(res.Groups), res.Clean.Frames)
	}
	for _, g := range res.Groups {
		for _, s := range []string{scFixed, scApprox, scExact, scNLL, scRecon, scHealth} {
			m, ok := g.Metrics[s]
			if !ok || m.AUROC < 0 || m.AUROC > 1 || m.AUPR < 0 || m.AUPR > 1 {
				t.Fatalf("%s %s: %+v", g.Fault, s, m)
			}
		}
		if g.Fault == "black_frame" && g.Metrics[scFixed].AUROC < 0.9 {
			t.Errorf("black frames: fixed-point AUROC %.3f", g.Metrics[scFixed].AUROC)
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
	code, _, stderr := runCmd(t, "eval", "--model", model, "--clean", clean, "--faults", filepath.Join(simOut, "cam0"),
		"--labels", filepath.Join(simOut, "labels.csv"), "--json", js, "--baselines", "recon", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res evalResult
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

func TestSeveritySuffix(t *testing.T) {
	for in, want := range map[string]string{"fog_s2": "fog 2", "gaussian_noise-s3": "gaussian_noise 3", "fog_sev1": "fog 1", "fog": ""} {
		g := sevSuffix.FindStringSubmatch(in)
		got := ""
		if g != nil {
			got = g[1] + " " + g[2]
		}
		if got != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

func fmtPtr(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// FuzzParseLabels: labels files are user input; no panic on any bytes.
func FuzzParseLabels(f *testing.F) {
	f.Add([]byte("sensor,frame,file,stamp,fault,severity,altered\ncam0,0,cam0/000000.png,2026-01-01 00:00:00.000000000,none,0,false\ncam0,1,cam0/000001.png,x,fog,2,true\n"))
	f.Add([]byte("file,fault,severity\n000000.png,fog,1\n"))
	f.Add([]byte("file,fault\n"))
	f.Add([]byte("file,fault,severity\n\"unterminated"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := parseLabels(bytes.NewReader(b))
		if err == nil {
			for _, d := range m {
				for _, l := range d {
					if l.severity < 0 || l.severity > 3 {
						t.Fatalf("severity %d accepted", l.severity)
					}
				}
			}
		}
	})
}

func TestParseLabels(t *testing.T) {
	m, err := parseLabels(strings.NewReader("sensor,frame,file,stamp,fault,severity,altered\ncam0,0,cam0/000000.png,s,none,0,false\ncam0,1,cam0/000001.png,s,fog,2,true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if l := m["cam0"]["000001.png"]; l.fault != "fog" || l.severity != 2 || !l.altered {
		t.Fatalf("%+v", l)
	}
	if l := m["cam0"]["000000.png"]; l.fault != "none" || l.altered {
		t.Fatalf("%+v", l)
	}
	if _, err := parseLabels(strings.NewReader("file,fault,severity\na.png,fog,9\n")); err == nil {
		t.Fatal("severity 9 accepted")
	}
}
