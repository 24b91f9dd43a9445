package training

import (
	"bytes"
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/recorded/recordedtest"
)

// tinyOptions make a model in well under a second.
func tinyOptions(kind sensors.Kind) Options {
	o := DefaultOptions(kind)
	o.Epochs, o.Hidden, o.Latent, o.ThumbW, o.AzBins = 3, 4, 2, 8, 8
	o.Created = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return o
}

// drive returns n clean frames of a small simulated sensor.
func drive(t *testing.T, kind sensors.Kind, world uint64, n int) Recording {
	t.Helper()
	r, err := SimDrive(t.Context(), kind, SizeTiny, world, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// writeFrames writes frames as a recording directory.
func writeFrames(t *testing.T, dir string, frames []sensors.Frame) string {
	return recordedtest.WriteDir(t, dir, frames)
}

func TestOptionsValidate(t *testing.T) {
	if err := DefaultOptions(sensors.KindCamera).Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	cases := map[string]func(*Options){
		"no kind":      func(o *Options) { o.Kind = sensors.KindUnknown },
		"fpr 0":        func(o *Options) { o.TargetFPR = 0 },
		"fpr 0.5":      func(o *Options) { o.TargetFPR = 0.5 },
		"negative":     func(o *Options) { o.Epochs = -1 },
		"health mode":  func(o *Options) { o.Health = 7 },
		"no model id":  func(o *Options) { o.ModelID = "" },
		"version zero": func(o *Options) { o.Version = 0 },
	}
	for name, change := range cases {
		o := DefaultOptions(sensors.KindLidar)
		change(&o)
		if err := o.Validate(); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", name, err)
		}
	}
}

func TestParseHealthMode(t *testing.T) {
	for _, m := range []HealthMode{HealthWarn, HealthError, HealthOff} {
		if got, ok := ParseHealthMode(m.String()); !ok || got != m {
			t.Errorf("%v: parsed %v %v", m, got, ok)
		}
	}
	if _, ok := ParseHealthMode("loud"); ok {
		t.Error("parsed loud")
	}
}

func TestArrange(t *testing.T) {
	recs := []Recording{{Names: make([]string, 10)}, {Names: make([]string, 20)}, {Names: make([]string, 5), Role: CalibrateOnly}}
	for i := range recs {
		for j := range recs[i].Names {
			recs[i].Names[j] = string(rune('a'+i)) + string(rune('0'+j%10))
		}
	}
	parts, v, c := arrange(recs, func(r Recording) []string { return r.Names })
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	want := "a0 a1 a2 a3 a4 a5 a6 b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 b0 b1 b2 b3 a7 b4 b5 a8 a9 b6 b7 b8 b9 c0 c1 c2 c3 c4"
	if got := strings.Join(all, " "); got != want {
		t.Fatalf("order\n got %s\nwant %s", got, want)
	}
	if v != 3.0/35 || c != 11.0/35 {
		t.Fatalf("fractions %v %v", v, c)
	}
}

func TestTrainDeterministic(t *testing.T) {
	recs := []Recording{drive(t, sensors.KindCamera, 2, 60)}
	var got [][]byte
	for range 2 {
		res, err := Train(t.Context(), recs, tinyOptions(sensors.KindCamera))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, res.Bundle)
	}
	if !bytes.Equal(got[0], got[1]) {
		t.Fatal("two trainings with the same options and frames differ")
	}
}

func TestTrainBlocks(t *testing.T) {
	cal := drive(t, sensors.KindLidar, 3, 30)
	cal.Role = CalibrateOnly
	recs := []Recording{drive(t, sensors.KindLidar, 1, 40), drive(t, sensors.KindLidar, 2, 40), cal}
	var stages []string
	opts := tinyOptions(sensors.KindLidar)
	opts.Progress = func(p Progress) {
		if len(stages) == 0 || stages[len(stages)-1] != p.Stage {
			stages = append(stages, p.Stage)
		}
	}
	res, err := Train(t.Context(), recs, opts)
	if err != nil {
		t.Fatal(err)
	}
	// 2·(40·0.2) tail frames + the whole calibration recording.
	if m := res.VAE.Meta(); m.CalFrames != 8+8+30 {
		t.Fatalf("calibration block %d frames, want 46", m.CalFrames)
	}
	if res.Health == nil || res.HealthSkipped != nil || res.Health.Error != AdvisoryHealthError {
		t.Fatalf("health model %v, skipped %v", res.Health != nil, res.HealthSkipped)
	}
	if got := strings.Join(stages, " "); got != "encode train calibrate done" {
		t.Fatalf("progress stages %q", got)
	}
}

func TestTrainHealthModes(t *testing.T) {
	recs := []Recording{drive(t, sensors.KindCamera, 1, 60)}
	opts := tinyOptions(sensors.KindCamera)
	opts.Health = HealthError
	res, err := Train(t.Context(), recs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Health == nil || res.Health.Error >= AdvisoryHealthError {
		t.Fatalf("HealthError: health model %+v", res.Health)
	}
	opts.Health = HealthOff
	if res, err = Train(t.Context(), recs, opts); err != nil {
		t.Fatal(err)
	}
	if res.Health != nil || res.HealthSkipped != nil {
		t.Fatalf("HealthOff: health model %v, skipped %v", res.Health != nil, res.HealthSkipped)
	}
	few := []Recording{drive(t, sensors.KindCamera, 1, 30)}
	if res, err = Train(t.Context(), few, tinyOptions(sensors.KindCamera)); err != nil {
		t.Fatal(err)
	}
	if res.Health != nil || !errors.Is(res.HealthSkipped, ErrFewHealthFrames) || len(res.Bundle) == 0 {
		t.Fatalf("30 frames: health model %v, skipped %v", res.Health != nil, res.HealthSkipped)
	}
}

func TestTrainRefuses(t *testing.T) {
	cam := drive(t, sensors.KindCamera, 1, 30)
	calOnly := cam
	calOnly.Role = CalibrateOnly
	bad := tinyOptions(sensors.KindCamera)
	bad.TargetFPR = 2
	cases := []struct {
		name string
		recs []Recording
		opts Options
		want string
	}{
		{"bad options", []Recording{cam}, bad, "invalid options"},
		{"too few frames", []Recording{drive(t, sensors.KindCamera, 1, 5)}, tinyOptions(sensors.KindCamera), "at least"},
		{"calibration only", []Recording{calOnly}, tinyOptions(sensors.KindCamera), "calibration recordings"},
	}
	for _, c := range cases {
		_, err := Train(t.Context(), c.recs, c.opts)
		if err == nil || !strings.HasPrefix(err.Error(), "training: ") || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want a training: error mentioning %q", c.name, err, c.want)
		}
	}
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Train(ctx, []Recording{drive(t, sensors.KindCamera, 1, 30)}, tinyOptions(sensors.KindCamera))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
}

func TestLoadRecordings(t *testing.T) {
	src := drive(t, sensors.KindLidar, 1, 12)
	dir := writeFrames(t, filepath.Join(t.TempDir(), "lidar"), src.Frames)
	rs, err := LoadRecordings(t.Context(), []string{dir}, sensors.KindLidar, "")
	if err != nil {
		t.Fatal(err)
	}
	r := rs[0]
	if len(rs) != 1 || r.Dir != dir || len(r.Frames) != 12 || len(r.Names) != 12 || r.Period != src.Period || r.Role != Split {
		t.Fatalf("got %d recordings, dir %s, %d frames, %d names, period %v (want %v), role %v", len(rs), r.Dir, len(r.Frames), len(r.Names), r.Period, src.Period, r.Role)
	}
	if s := r.Frames[0].(*sensors.Scan); s.Rings != 16 {
		t.Fatalf("VLP-16 scans without ring ids read with %d rings", s.Rings)
	}
	_, err = LoadRecordings(t.Context(), []string{dir}, sensors.KindCamera, "")
	if err == nil || !strings.HasPrefix(err.Error(), "training: recording "+dir) || !strings.Contains(err.Error(), "not camera") {
		t.Fatalf("wrong kind: %v", err)
	}
}

func TestDetectLidarModelKeepsOtherLidars(t *testing.T) {
	// A 64-beam-like scan: elevations spread evenly, not on the VLP-16 table.
	s := &sensors.Scan{Header: sensors.Header{Stamp: time.Unix(1, 0)}}
	for i := 0; i < 64; i++ {
		el := -24.8 + float64(i)*0.42
		for a := 0; a < 90; a++ {
			r := 10.0
			z := r * sinDeg(el)
			h := r * cosDeg(el)
			s.Points = append(s.Points, sensors.Point{X: float32(h * cosDeg(float64(a)*4)), Y: float32(h * sinDeg(float64(a)*4)), Z: float32(z), Range: float32(r)})
		}
	}
	dir := writeFrames(t, filepath.Join(t.TempDir(), "hdl"), []sensors.Frame{s})
	d, err := recorded.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := detectLidarModel(d); err != nil || m != "" {
		t.Fatalf("detected %q, %v", m, err)
	}
}

func sinDeg(d float64) float64 { return math.Sin(d * math.Pi / 180) }
func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
