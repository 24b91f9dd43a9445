package likelihood_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/evaluate"
	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
)

func TestMarshalRoundTrip(t *testing.T) {
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		ts := tiny(t, k)
		b, err := ts.model.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := likelihood.UnmarshalModel(b)
		if err != nil {
			t.Fatal(err)
		}
		b2, _ := m2.MarshalBinary()
		if !bytes.Equal(b, b2) {
			t.Error("re-marshalled model differs")
		}
		if m2.Kind() != k || m2.Threshold() != ts.model.Threshold() {
			t.Error("kind or threshold lost")
		}
		s1, s2 := ts.model.NewFixedScorer(), m2.NewFixedScorer()
		f1, f2 := ts.model.NewApproxLRScorer(), m2.NewApproxLRScorer()
		for _, f := range ts.test {
			a, _ := s1.ScoreInt(f)
			b, _ := s2.ScoreInt(f)
			c, _ := f1.Score(f)
			d, _ := f2.Score(f)
			if a != b || c != d {
				t.Fatalf("scores differ after round trip: %d %d, %v %v", a, b, c, d)
			}
		}
		if s := ts.model.Info().String(); len(s) < 100 {
			t.Errorf("Info too short: %q", s)
		}
	}
}

// TestReadsFormat3: a model written by the previous format (no per-input
// precisions, two-part score) still loads and scores bit for bit as it did
// when it was calibrated; written again, it keeps its two-part score.
func TestReadsFormat3(t *testing.T) {
	b, err := os.ReadFile("testdata/format3-lidar.model")
	if err != nil {
		t.Fatal(err)
	}
	m, err := likelihood.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if in := m.Info(); in.NLLScale != 0 || in.Mode != likelihood.ScoreRegretAndStats {
		t.Fatalf("format 3 model read with NLL scale %v, mode %v", in.NLLScale, in.Mode)
	}
	// Recorded with the format-3 build that wrote the file, on the same
	// frames (synth.Frames(lidar, 90, 1)[80:], scored in order).
	want := []int64{58092, 111436, 107410, 97735, 87823, 93783, 78660, 103457, 116897, 121802}
	b2, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := likelihood.UnmarshalModel(b2)
	if err != nil {
		t.Fatal(err)
	}
	frames := synth.Frames(sensors.KindLidar, 90, 1)[80:]
	for _, mm := range []*likelihood.Model{m, m2} {
		s := mm.NewFixedScorer()
		for i, f := range frames {
			got, err := s.ScoreInt(f)
			if err != nil {
				t.Fatal(err)
			}
			if got != want[i] {
				t.Errorf("frame %d: score %d, format 3 gave %d", i, got, want[i])
			}
		}
	}
}

func TestWithCalibration(t *testing.T) {
	ts := tiny(t, sensors.KindLidar)
	c := ts.model.Calibration()
	old := c.Threshold
	c.Threshold = old*3 + 1
	m2, err := ts.model.WithCalibration(c)
	if err != nil {
		t.Fatal(err)
	}
	if ts.model.Threshold() != old || m2.Threshold() != c.Threshold {
		t.Fatalf("thresholds: original %v (was %v), copy %v (want %v)", ts.model.Threshold(), old, m2.Threshold(), c.Threshold)
	}
	b, err := m2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m3, err := likelihood.UnmarshalModel(b)
	if err != nil || m3.Calibration() != c {
		t.Fatalf("calibration after round trip %+v, %v; want %+v", m3.Calibration(), err, c)
	}
	a, _ := ts.model.NewFixedScorer().ScoreInt(ts.test[0])
	z, _ := m3.NewFixedScorer().ScoreInt(ts.test[0])
	if a != z {
		t.Errorf("scores changed with the calibration: %d, %d", a, z)
	}
	for _, bad := range []float64{math.NaN(), math.Inf(1)} {
		c.Threshold = bad
		if _, err := ts.model.WithCalibration(c); err == nil {
			t.Errorf("threshold %v accepted", bad)
		}
	}
}

func TestWithPartScales(t *testing.T) {
	ts := tiny(t, sensors.KindCamera)
	old := ts.model.PartScales()
	if !(old.RegretScale > 0 && old.ResidScale > 0 && old.NLLScale > 0) {
		t.Fatalf("trained part scales %+v: want every scale positive", old)
	}
	// Each part scaled up by a different factor: the score must be the
	// largest of the parts as the new scales put them.
	ps := old
	ps.RegretScale *= 8
	ps.ResidScale *= 2
	ps.NLLScale *= 4
	ps.ResidCentre += 1
	m2, err := ts.model.WithPartScales(ps)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts.model.PartScales(); got != old {
		t.Fatalf("the original model's scales changed: %+v, were %+v", got, old)
	}
	b, err := m2.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m3, err := likelihood.UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	got := m3.PartScales()
	for _, c := range [][2]float64{{got.RegretScale, ps.RegretScale}, {got.ResidScale, ps.ResidScale}, {got.NLLScale, ps.NLLScale},
		{got.ResidCentre, ps.ResidCentre}} {
		if math.Abs(c[0]-c[1]) > 1.0/4096 {
			t.Fatalf("scales after a round trip %+v, want %+v", got, ps)
		}
	}
	for _, f := range append(ts.test, anomalous(sensors.KindCamera, ts.test)...) {
		p, err := m3.NewFixedScorer().ScoreParts(f)
		if err != nil {
			t.Fatal(err)
		}
		z, err := m3.NewFixedScorer().Score(f)
		if err != nil {
			t.Fatal(err)
		}
		want := max((p.Regret-got.RegretCentre)/got.RegretScale, (p.Resid-got.ResidCentre)/got.ResidScale,
			(p.NLLAfter-got.NLLCentre)/got.NLLScale)
		if math.Abs(z-want) > 0.01*math.Max(1, math.Abs(want)) {
			t.Errorf("score %v with the new scales, want the largest scaled part %v (parts %+v)", z, want, p)
		}
	}
	for _, bad := range []likelihood.PartScales{
		{RegretScale: 0, ResidScale: 1, NLLScale: 1},
		{RegretScale: 1, ResidScale: math.Inf(1), NLLScale: 1},
		{RegretScale: 1, ResidScale: 1, NLLScale: 1, RegretCentre: math.NaN()},
		{RegretScale: 1, ResidScale: 1}, // the model's score has an NLL part
	} {
		if _, err := ts.model.WithPartScales(bad); err == nil {
			t.Errorf("scales %+v accepted", bad)
		}
	}
}

func TestCalibrationOf(t *testing.T) {
	scores := make([]float64, 1000)
	for i := range scores {
		scores[i] = float64(999 - i) // 0 … 999, reversed
	}
	c, err := likelihood.CalibrationOf(scores, 0.01)
	if err != nil {
		t.Fatal(err)
	}
	if c.Threshold != 989 || c.Frames != 1000 || c.Max != 999 || c.P50 != 499 || c.Mean != 499.5 || c.TargetFPR != 0.01 {
		t.Errorf("calibration %+v", c)
	}
	if scores[0] != 999 {
		t.Error("the caller's scores were reordered")
	}
	for _, bad := range [][]float64{nil, {1, math.NaN()}, {math.Inf(1)}} {
		if _, err := likelihood.CalibrationOf(bad, 0.01); err == nil {
			t.Errorf("scores %v accepted", bad)
		}
	}
	if _, err := likelihood.CalibrationOf(scores, 0); err == nil {
		t.Error("rate 0 accepted")
	}
}

func TestUnmarshalRejectsCorruption(t *testing.T) {
	b, _ := tiny(t, sensors.KindCamera).model.MarshalBinary()
	for _, n := range []int{0, 5, 12, len(b) / 2, len(b) - 1} {
		if _, err := likelihood.UnmarshalModel(b[:n]); !errors.Is(err, likelihood.ErrBadModel) {
			t.Errorf("truncated to %d: error %v", n, err)
		}
	}
	for _, i := range []int{3, 20, len(b) / 3, len(b) - 2} {
		c := append([]byte(nil), b...)
		c[i] ^= 0x40
		if _, err := likelihood.UnmarshalModel(c); !errors.Is(err, likelihood.ErrBadModel) {
			t.Errorf("flip at %d: error %v", i, err)
		}
	}
}

func FuzzUnmarshalModel(f *testing.F) {
	ms, err := tinyModels()
	if err != nil {
		f.Fatal(err)
	}
	for _, ts := range ms {
		b, _ := ts.model.MarshalBinary()
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte("TALRVAE1"))
	f.Add([]byte{})
	check := func(t *testing.T, b []byte) {
		m, err := likelihood.UnmarshalModel(b)
		if err != nil {
			if !errors.Is(err, likelihood.ErrBadModel) {
				t.Fatalf("error %v does not wrap ErrBadModel", err)
			}
			return
		}
		// A model that decodes must score without panicking.
		s := m.NewFixedScorer()
		_, _ = s.Score(&sensors.Scan{})
		_, _ = s.Score(synth.Image(0, 16, 12, 1))
		_ = m.Info().String()
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		check(t, b)
		// Also with a valid checksum, so that mutations reach the decoder
		// behind the CRC.
		if len(b) > 4 {
			body := b[: len(b)-4 : len(b)-4]
			check(t, binary.LittleEndian.AppendUint32(body, crc32.ChecksumIEEE(body)))
		}
	})
}

func TestTrainDeterministic(t *testing.T) {
	fr := synth.Frames(sensors.KindCamera, 40, 5)
	o := tinyOptions()
	o.Epochs = 5
	m1, err := likelihood.Train(context.Background(), fr, o)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := likelihood.Train(context.Background(), fr, o)
	b1, _ := m1.MarshalBinary()
	b2, _ := m2.MarshalBinary()
	// Created and Duration differ; everything before the metadata must not.
	m1c, m2c := trimMeta(b1), trimMeta(b2)
	if !bytes.Equal(m1c, m2c) {
		t.Error("same seed gave different models")
	}
	o.Seed = 99
	m3, _ := likelihood.Train(context.Background(), fr, o)
	b3, _ := m3.MarshalBinary()
	if bytes.Equal(trimMeta(b1), trimMeta(b3)) {
		t.Error("different seeds gave the same model")
	}
}

// trimMeta drops the trailing creation time, duration and checksum.
func trimMeta(b []byte) []byte { return b[:len(b)-20] }

func TestTrainErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := likelihood.Train(ctx, synth.Frames(sensors.KindLidar, 5, 1), tinyOptions()); !errors.Is(err, likelihood.ErrTooFewFrames) {
		t.Errorf("5 frames: %v", err)
	}
	mixed := synth.Frames(sensors.KindLidar, 30, 1)
	mixed[10] = synth.Image(0, 16, 16, 1)
	if _, err := likelihood.Train(ctx, mixed, tinyOptions()); !errors.Is(err, likelihood.ErrWrongKind) {
		t.Errorf("mixed kinds: %v", err)
	}
	o := tinyOptions()
	o.TargetFPR = 2
	if _, err := likelihood.Train(ctx, synth.Frames(sensors.KindLidar, 30, 1), o); err == nil {
		t.Error("bad FPR accepted")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := likelihood.Train(cctx, synth.Frames(sensors.KindCamera, 30, 1), tinyOptions()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestNoRingInfo trains on scans without ring numbers (as KITTI files) and
// checks the elevation binning recovers a usable image.
func TestNoRingInfo(t *testing.T) {
	var fr []sensors.Frame
	for i := 0; i < 40; i++ {
		fr = append(fr, synth.Scan(i, 180, 2, false))
	}
	o := tinyOptions()
	o.Rows = 16
	o.Epochs = 5
	m, err := likelihood.Train(context.Background(), fr, o)
	if err != nil {
		t.Fatal(err)
	}
	r := m.Repr()
	if len(r.Elevations) != 16 {
		t.Fatalf("%d rows", len(r.Elevations))
	}
	lo, hi := float64(r.Elevations[0])*180/math.Pi, float64(r.Elevations[15])*180/math.Pi
	if math.Abs(lo+15) > 1.5 || math.Abs(hi-15) > 1.5 {
		t.Errorf("elevation table %.1f°…%.1f°, want about −15°…15°", lo, hi)
	}
	// A scan with ring info scores with the ring-less model too.
	if _, err := m.NewFixedScorer().Score(synth.Scan(50, 180, 2, true)); err != nil {
		t.Error(err)
	}
}

// TestProbe: EncodeProbe + ScoreProbe reproduce the fixed scorer's score of
// a stream's first frame bit for bit.
func TestProbe(t *testing.T) {
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		ts := tiny(t, k)
		m := ts.model
		for _, f := range ts.test[:3] {
			in, err := m.EncodeProbe(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := m.ScoreProbe(in)
			if err != nil {
				t.Fatal(err)
			}
			s := m.NewFixedScorer()
			want, _ := s.ScoreInt(f)
			if got != want {
				t.Errorf("%v: probe score %d, scorer %d", k, got, want)
			}
		}
		if _, err := m.ScoreProbe([]byte{1, 2, 3}); err == nil {
			t.Error("short probe accepted")
		}
		// An int16 input beyond the clip (7.9375 at Q11) would overflow the
		// engine's x − b3; it must be refused, not scored.
		in, err := m.EncodeProbe(ts.test[0])
		if err != nil {
			t.Fatal(err)
		}
		in[0], in[1] = 0xff, 0x7f
		if _, err := m.ScoreProbe(in); err == nil {
			t.Error("probe input 32767 accepted")
		}
		if _, err := m.EncodeProbe(&sensors.Range{}); !errors.Is(err, likelihood.ErrWrongKind) {
			t.Error("wrong kind probe accepted")
		}
	}
}

// TestFixedTracksFloat: the integer approximated LR ranks frames like the
// float one (tiny model; the full-size figure is in the evaluation).
func TestFixedTracksFloat(t *testing.T) {
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		ts := tiny(t, k)
		frames := append(append([]sensors.Frame{}, ts.test...), anomalous(k, ts.test)...)
		frames = append(frames, ts.frames[60:80]...)
		fs, as, ns := ts.model.NewFixedScorer(), ts.model.NewApproxLRScorer(), ts.model.NewNLLScorer()
		var a, b, c, d []float64
		for _, f := range frames {
			fs.Reset()
			as.Reset()
			ns.Reset()
			p, _ := fs.ScoreParts(f)
			y, _ := as.Score(f)
			n, _ := ns.Score(f)
			a, b = append(a, p.Regret), append(b, y)
			// The float NLL after the re-fit: the NLL before it (same
			// importance samples) less the regret.
			c, d = append(c, p.NLLAfter), append(d, n-y)
		}
		rho, err := evaluate.Spearman(a, b)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: Spearman ρ fixed vs float = %.4f over %d frames", k, rho, len(a))
		if rho < 0.95 {
			t.Errorf("%v: Spearman ρ %.4f < 0.95", k, rho)
		}
		if rho, err = evaluate.Spearman(c, d); err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: Spearman ρ of the NLL after the re-fit, fixed vs float = %.4f", k, rho)
		if rho < 0.99 {
			t.Errorf("%v: NLL after the re-fit: Spearman ρ %.4f < 0.99", k, rho)
		}
	}
}

// TestReasons: a scan with most rings deleted names ring statistics first.
func TestReasons(t *testing.T) {
	ts := tiny(t, sensors.KindLidar)
	s := ts.model.NewFixedScorer()
	for _, f := range ts.test[:3] {
		if _, err := s.Score(f); err != nil {
			t.Fatal(err)
		}
	}
	bad := anomalous(sensors.KindLidar, ts.test[3:4])[0]
	if _, err := s.Score(bad); err != nil {
		t.Fatal(err)
	}
	r := s.Reasons(3)
	if len(r) != 3 || r[0].Nats < r[1].Nats || r[1].Nats < r[2].Nats {
		t.Fatalf("reasons %+v", r)
	}
	t.Logf("reasons: %+v", r)

	// The terms are the statistics residual split by statistic: they add up
	// to ScoreParts' residual, up to one Q12 rounding step per term.
	s.Reset()
	for _, f := range ts.test[:3] {
		if _, err := s.Score(f); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.ScoreParts(bad)
	if err != nil {
		t.Fatal(err)
	}
	resid := p.Resid
	all := s.Reasons(1 << 10)
	var sum float64
	for _, x := range all {
		sum += x.Nats
	}
	if tol := float64(len(all)+1) / 4096; math.Abs(sum-resid) > tol || resid <= 0 {
		t.Errorf("reasons add up to %.4f nats, statistics residual %.4f (tolerance %.4f)", sum, resid, tol)
	}
}

// TestSceneStatsLeaveTheResidual: statistics named as describing the scene
// are modelled but add nothing to the statistics residual; the others
// still do. Names the representation does not have are refused.
func TestSceneStatsLeaveTheResidual(t *testing.T) {
	ctx := context.Background()
	all := synth.Frames(sensors.KindLidar, 90, 1)
	o := tinyOptions()
	o.SceneStats = features.LidarSceneStats()
	m, err := likelihood.Train(ctx, all[:80], o)
	if err != nil {
		t.Fatal(err)
	}
	s := m.NewFixedScorer()
	frames := append(slices.Clone(all[80:83]), anomalous(sensors.KindLidar, all[83:84])...)
	for _, f := range frames {
		if _, err := s.Score(f); err != nil {
			t.Fatal(err)
		}
	}
	var rest float64
	for _, r := range s.Reasons(1 << 10) {
		if slices.Contains(o.SceneStats, r.Name) {
			if r.Nats != 0 {
				t.Errorf("scene statistic %s adds %.4f nats to the residual", r.Name, r.Nats)
			}
			continue
		}
		rest += r.Nats
	}
	if rest <= 0 {
		t.Errorf("the other statistics add %.4f nats on a scan with most rings deleted", rest)
	}

	for _, c := range []struct {
		kind  sensors.Kind
		names []string
		opt   func(*likelihood.TrainOptions)
	}{
		{sensors.KindLidar, []string{"no_such_statistic"}, nil},
		{sensors.KindCamera, []string{"range_p10"}, nil},
		{sensors.KindLidar, []string{"range_p10"}, func(o *likelihood.TrainOptions) { o.Channels = likelihood.ChannelsImageOnly }},
	} {
		o := tinyOptions()
		o.SceneStats = c.names
		if c.opt != nil {
			c.opt(&o)
		}
		if _, err := likelihood.Train(ctx, synth.Frames(c.kind, 40, 1), o); err == nil || !strings.Contains(err.Error(), "scene statistic") {
			t.Errorf("%s with scene statistics %v: err %v", c.kind, c.names, err)
		}
	}
}
