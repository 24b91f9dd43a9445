package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// readLines parses score output.
func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %d: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// TestScoreContract checks the fields, types and order an external
// harness relies on.
func TestScoreContract(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	in := simDir(t, sensors.KindCamera, 5, 12)
	out := filepath.Join(t.TempDir(), "s.jsonl")
	code, stdout, stderr := runCmd(t, "score", "--model", model, "--in", in, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "12 frames scored") {
		t.Fatalf("stdout %q", stdout)
	}
	lines := readLines(t, out)
	d, _ := recorded.OpenDir(in)
	if len(lines) != d.Len() {
		t.Fatalf("%d lines for %d frames", len(lines), d.Len())
	}
	ms, _ := openModel(t.Context(), model, sensors.KindCamera)
	var names []string
	for i, l := range lines {
		for _, k := range []string{"frame", "score", "threshold", "trusted", "level", "reasons"} {
			if _, ok := l[k]; !ok {
				t.Fatalf("line %d lacks %q: %v", i, k, l)
			}
		}
		name, _ := l["frame"].(string)
		names = append(names, name)
		if name != d.Name(i) {
			t.Fatalf("line %d is frame %q, want %q", i, name, d.Name(i))
		}
		if _, ok := l["score"].(float64); !ok {
			t.Fatalf("score %v", l["score"])
		}
		if th, _ := l["threshold"].(float64); th != ms.VAE.Threshold() {
			t.Fatalf("threshold %v, model %v", th, ms.VAE.Threshold())
		}
		lv, _ := l["level"].(string)
		if lv != "OK" && lv != "WARN" && lv != "ERROR" && lv != "STALE" {
			t.Fatalf("level %q", lv)
		}
		if tr, ok := l["trusted"].(bool); !ok || tr != (lv == "OK" || lv == "WARN") {
			t.Fatalf("trusted %v at level %s", l["trusted"], lv)
		}
		if _, ok := l["reasons"].([]any); !ok {
			t.Fatalf("reasons %v is not a list", l["reasons"])
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Fatal("not in file-name order")
	}
}

// TestScoreSameAsFixedScorer: the score field is the fixed-point score of
// the frames in order.
func TestScoreSameAsFixedScorer(t *testing.T) {
	model := tinyModel(t, sensors.KindLidar)
	in := simDir(t, sensors.KindLidar, 5, 6)
	out := filepath.Join(t.TempDir(), "s.jsonl")
	if code, _, stderr := runCmd(t, "score", "--model", model, "--in", in, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ms, _ := openModel(t.Context(), model, sensors.KindLidar)
	sc := ms.VAE.NewFixedScorer()
	d, err := recorded.OpenDir(in, recorded.DirOptions{Model: recorded.ModelVLP16})
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range readLines(t, out) {
		f, _ := d.Read(i)
		want, err := sc.Score(f)
		if err != nil {
			t.Fatal(err)
		}
		if l["score"].(float64) != want {
			t.Fatalf("frame %d: score %v, fixed scorer %v", i, l["score"], want)
		}
	}
}

// TestScoreFrozenAndStale: byte-identical repeats reach ERROR (as trustd's
// frozen check does) and a gap in timestamps.txt is reported.
func TestScoreFrozenAndStale(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	frames := simFrames(t, sensors.KindCamera, 5, 0, 4)
	base := frames[3].Head().Stamp
	for i := 0; i < 8; i++ { // frozen: the same pixels with fresh stamps
		f := *(frames[3].(*sensors.Image))
		f.Stamp = base.Add(time.Duration(i+1) * 66 * time.Millisecond)
		frames = append(frames, &f)
	}
	late := *(simFrames(t, sensors.KindCamera, 5, 20, 1)[0].(*sensors.Image))
	late.Stamp = base.Add(5 * time.Second)
	frames = append(frames, &late)
	in := writeFrames(t, filepath.Join(t.TempDir(), "cam"), frames)
	out := filepath.Join(t.TempDir(), "s.jsonl")
	if code, _, stderr := runCmd(t, "score", "--model", model, "--in", in, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readLines(t, out)
	frozenError := false
	for _, l := range lines[4:12] {
		b, _ := json.Marshal(l["reasons"])
		if l["level"] == "ERROR" && strings.Contains(string(b), `"frozen"`) {
			frozenError = true
		}
	}
	if !frozenError {
		t.Fatalf("frozen frames never reached ERROR with reason frozen: %v", lines[4:12])
	}
	// trustd declares STALE at the last tick (every 100 ms with a 1 s
	// timeout) before the silence exceeds the timeout.
	last := lines[len(lines)-1]
	if s, _ := last["stale_before_s"].(float64); !(s > 0.9 && s <= 1) {
		t.Fatalf("the frame after a 5 s gap does not report the stale period in (0.9, 1] s: %v", last)
	}
}

func TestScoreBadInput(t *testing.T) {
	lidarModel := tinyModel(t, sensors.KindLidar)
	cam := simDir(t, sensors.KindCamera, 1, 3)
	data, _ := os.ReadFile(lidarModel)
	truncated := filepath.Join(t.TempDir(), "t.bundle")
	os.WriteFile(truncated, data[:len(data)/2], 0o644)
	flipped := filepath.Join(t.TempDir(), "f.bundle")
	bad := append([]byte(nil), data...)
	bad[len(bad)/3] ^= 0x40
	os.WriteFile(flipped, bad, 0o644)
	notBundle := filepath.Join(t.TempDir(), "n.bundle")
	os.WriteFile(notBundle, []byte("hello"), 0o644)
	out := filepath.Join(t.TempDir(), "s.jsonl")
	cases := []struct {
		name, model, in, want string
	}{
		{"wrong sensor", lidarModel, cam, "for lidar"},
		{"truncated bundle", truncated, cam, "not a usable model bundle"},
		{"corrupted bundle", flipped, cam, "not a usable model bundle"},
		{"not a bundle", notBundle, cam, "not a usable model bundle"},
		{"missing model", filepath.Join(t.TempDir(), "none"), cam, "no such file"},
		{"empty folder", lidarModel, t.TempDir(), "no frames"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, "score", "--model", c.model, "--in", c.in, "--out", out)
			if code == 0 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "goroutine") {
				t.Fatalf("exit %d, stderr %q, want %q", code, stderr, c.want)
			}
		})
	}
	if code, _, _ := runCmd(t, "score", "--model", lidarModel); code != 2 {
		t.Fatalf("missing flags: exit %d, want 2", code)
	}
}

// TestScoreUnreadableFrame: a frame file that cannot be decoded still gets
// its line (as bad evidence with the decoder's error) and the rest are
// scored.
func TestScoreUnreadableFrame(t *testing.T) {
	model := tinyModel(t, sensors.KindCamera)
	in := simDir(t, sensors.KindCamera, 5, 8)
	for _, n := range []string{"000003.png", "000004.png", "000005.png"} {
		os.WriteFile(filepath.Join(in, n), []byte("\x89PNG\r\n\x1a\nbroken"), 0o644)
	}
	out := filepath.Join(t.TempDir(), "s.jsonl")
	if code, _, stderr := runCmd(t, "score", "--model", model, "--in", in, "--out", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := readLines(t, out)
	if len(lines) != 8 {
		t.Fatalf("%d lines", len(lines))
	}
	for i := 3; i <= 5; i++ {
		if e, _ := lines[i]["error"].(string); e == "" || lines[i]["bad"] != true {
			t.Fatalf("line %d: %v", i, lines[i])
		}
	}
	if lines[5]["level"] != "ERROR" || lines[5]["trusted"] != false {
		t.Fatalf("three unreadable frames in a row: %v", lines[5])
	}
	if _, ok := lines[7]["error"]; ok {
		t.Fatalf("line 7: %v", lines[7])
	}
}
