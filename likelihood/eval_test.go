package likelihood_test

// The detection evaluation: run with
//
//	LIKELIHOOD_EVAL=sim go test -run TestEval -v -timeout 60m ./likelihood/
//	LIKELIHOOD_EVAL=sim,real ...   (real VLP-16 recording, real camera video)
//	LIKELIHOOD_EVAL=sim,real,exact (adds the exact LR on every 8th frame; slow)
//
// It trains default models on clean frames, injects every per-frame fault
// of the catalogue at three severities into held-out frames from a later
// part of the recording, and prints per fault and severity the AUROC of the
// fixed-point approximated LR beside the float approximated LR, the NLL and
// the reconstruction error, FPR at 95 % TPR and the flagged fractions at the
// thresholds calibrated on clean data. Set LIKELIHOOD_EVAL_OUT to a file to
// also write the markdown table there.

import (
	"bytes"
	"context"
	"fmt"

	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/evaluate"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

type evalData struct {
	name        string
	kind        sensors.Kind
	train, test []sensors.Frame
}

type scorerMaker struct {
	name string
	make func(m *likelihood.Model) likelihood.Scorer
}

// regretOnly reports the regret part of the fixed score.
type regretOnly struct{ *likelihood.FixedScorer }

func (r regretOnly) Score(f sensors.Frame) (float64, error) {
	p, err := r.ScoreParts(f)
	return p.Regret, err
}

func evalScorers() []scorerMaker {
	return []scorerMaker{
		{"fixed score", func(m *likelihood.Model) likelihood.Scorer { return m.NewFixedScorer() }},
		{"fixed LR", func(m *likelihood.Model) likelihood.Scorer { return regretOnly{m.NewFixedScorer()} }},
		{"float LR", func(m *likelihood.Model) likelihood.Scorer { return m.NewApproxLRScorer() }},
		{"NLL", func(m *likelihood.Model) likelihood.Scorer { return m.NewNLLScorer() }},
		{"recon", func(m *likelihood.Model) likelihood.Scorer { return m.NewReconScorer() }},
	}
}

func scoreAll(t *testing.T, s likelihood.Scorer, frames []sensors.Frame) []float64 {
	t.Helper()
	s.Reset()
	out := make([]float64, len(frames))
	for i, f := range frames {
		v, err := s.Score(f)
		if err != nil {
			t.Fatalf("score frame %d: %v", i, err)
		}
		out[i] = v
	}
	return out
}

func TestEval(t *testing.T) {
	mode := os.Getenv("LIKELIHOOD_EVAL")
	if mode == "" {
		t.Skip("set LIKELIHOOD_EVAL=sim[,real] to run the detection evaluation (minutes)")
	}
	var report strings.Builder
	var sets []evalData
	if strings.Contains(mode, "sim") {
		sets = append(sets, simLidar(t), simCamera(t))
	}
	if strings.Contains(mode, "real") {
		if d, ok := realLidar(t); ok {
			sets = append(sets, d)
		}
		if d, ok := realCamera(t); ok {
			sets = append(sets, d)
		}
	}
	for _, d := range sets {
		evalOne(t, d, &report)
	}
	fmt.Print(report.String())
	if out := os.Getenv("LIKELIHOOD_EVAL_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(report.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func evalOne(t *testing.T, d evalData, rep *strings.Builder) {
	start := time.Now()
	m, err := likelihood.Train(context.Background(), d.train, likelihood.TrainOptions{Progress: func(p likelihood.Progress) {
		if p.Stage == "train" && p.Done%10 == 0 {
			t.Logf("%s: epoch %d train %.4g val %.4g", d.name, p.Done, p.TrainLoss, p.ValLoss)
		}
	}})
	if err != nil {
		t.Fatalf("%s: train: %v", d.name, err)
	}
	trainTime := time.Since(start)
	info := m.Info()
	fmt.Fprintf(rep, "\n### %s\n\n%d training frames (%v), %d held-out test frames; model %s, %d MACs per fixed score; training %v\n\n",
		d.name, len(d.train), d.kind, len(d.test), info.Shape, info.MACsPerScore, trainTime.Round(time.Second))
	// Thresholds for every scorer from the model's own calibration block
	// (the last CalFrames training frames), clean data only.
	calFrames := d.train[len(d.train)-info.Meta.CalFrames:]
	makers := evalScorers()
	thr := make([]float64, len(makers))
	clean := make([][]float64, len(makers))
	costs := make([]time.Duration, len(makers))
	for i, mk := range makers {
		cs := scoreAll(t, mk.make(m), calFrames)
		sort.Float64s(cs)
		thr[i] = cs[int(math.Ceil(0.99*float64(len(cs))))-1]
		if i == 0 {
			thr[i] = m.Threshold()
		}
		t0 := time.Now()
		clean[i] = scoreAll(t, mk.make(m), d.test)
		costs[i] = time.Since(t0) / time.Duration(len(d.test))
	}
	fmt.Fprintf(rep, "clean held-out flagged at threshold (target 1 %%):")
	for i, mk := range makers {
		fmt.Fprintf(rep, " %s %.1f %%;", mk.name, 100*evaluate.Flagged(clean[i], thr[i]))
	}
	fmt.Fprintf(rep, "\ncost per frame (this machine, with representation):")
	for i, mk := range makers {
		fmt.Fprintf(rep, " %s %v;", mk.name, costs[i].Round(time.Microsecond))
	}
	fmt.Fprintf(rep, "\n\nAUROC per fault and severity (fault frames positive, clean held-out frames negative); FPR at 95 %% TPR and flagged fraction of fault frames for the fixed score at its calibrated threshold.\n\n")
	fmt.Fprintf(rep, "| fault | sev | fixed score | fixed LR | float LR | NLL | recon | exact LR (every 8th frame) | FPR@95 fixed score | flagged fixed score |\n|---|---|---|---|---|---|---|---|---|---|\n")
	var allFixed, allFloat []float64
	allFixed = append(allFixed, clean[1]...)
	allFloat = append(allFloat, clean[2]...)
	maxDiff := 0.0
	type agg struct {
		sum [6]float64
		n   [6]int // entries with positives (NaN AUROCs are skipped)
	}
	exact := strings.Contains(os.Getenv("LIKELIHOOD_EVAL"), "exact")
	var cleanExact []float64
	if exact {
		cleanExact = scoreAll(t, m.NewExactLRScorer(likelihood.ExactLRConfig{}), every8(d.test))
	}
	sev := map[int]*agg{1: {}, 2: {}, 3: {}}
	for _, name := range faults.Names(d.kind) {
		spec, err := faults.Lookup(name, d.kind)
		if err != nil || spec.Class == faults.ClassStream {
			continue
		}
		for s := 1; s <= 3; s++ {
			inj, err := faults.New(d.kind, faults.Config{Fault: name, Severity: s, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			var stream []sensors.Frame
			var altered []bool
			for _, f := range d.test {
				for _, o := range inj.Inject(f) {
					stream = append(stream, o)
					altered = append(altered, o != f)
				}
			}
			for _, o := range inj.Flush() {
				stream = append(stream, o)
				altered = append(altered, true)
			}
			var au [6]float64
			var fpr95, flagF float64
			if exact {
				sc := scoreAll(t, m.NewExactLRScorer(likelihood.ExactLRConfig{}), every8(stream))
				var pos []float64
				for k, v := range sc {
					if altered[8*k] {
						pos = append(pos, v)
					}
				}
				au[5] = math.NaN()
				if len(pos) > 0 {
					au[5], _ = evaluate.AUROC(cleanExact, pos)
				}
			}
			for i, mk := range makers {
				sc := scoreAll(t, mk.make(m), stream)
				var pos []float64
				for k, v := range sc {
					if altered[k] {
						pos = append(pos, v)
					}
				}
				if len(pos) == 0 {
					au[i] = math.NaN()
					continue
				}
				au[i], _ = evaluate.AUROC(clean[i], pos)
				switch i {
				case 0:
					fpr95, _ = evaluate.FPRAtTPR(clean[i], pos, 0.95)
					flagF = evaluate.Flagged(pos, thr[i])
				case 1:
					allFixed = append(allFixed, pos...)
				case 2:
					allFloat = append(allFloat, pos...)
				}
			}
			a := sev[s]
			for i := range au {
				if !math.IsNaN(au[i]) {
					a.sum[i] += au[i]
					a.n[i]++
				}
			}
			maxDiff = math.Max(maxDiff, math.Abs(au[1]-au[2]))
			fmt.Fprintf(rep, "| %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f |\n", name, s, au[0], au[1], au[2], au[3], au[4],
				au[5], fpr95, flagF)
		}
	}
	for s := 1; s <= 3; s++ {
		a := sev[s]
		var mean [6]float64
		for i := range mean {
			mean[i] = a.sum[i] / float64(a.n[i])
		}
		fmt.Fprintf(rep, "| **mean** | %d | **%.3f** | %.3f | %.3f | %.3f | %.3f | %.3f | | |\n", s, mean[0], mean[1], mean[2], mean[3], mean[4], mean[5])
	}
	rho, _ := evaluate.Spearman(allFixed, allFloat)
	fmt.Fprintf(rep, "\nfixed vs float approximated LR over %d clean and faulted frames: Spearman ρ = %.4f; largest AUROC difference %.3f\n", len(allFixed), rho, maxDiff)
}

// every8 returns every 8th frame (the exact LR is too slow for all).
func every8(f []sensors.Frame) []sensors.Frame {
	var out []sensors.Frame
	for i := 0; i < len(f); i += 8 {
		out = append(out, f[i])
	}
	return out
}

// simLidar: the simulated VLP-16 driving its path; training is the first
// 60 s, test frames come from a later stretch of the drive.
func simLidar(t *testing.T) evalData {
	w, err := sim.NewWorld(sim.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l, err := sim.NewLidar(w, sim.LidarOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := evalData{name: "simulated VLP-16", kind: sensors.KindLidar}
	for i := 0; i < 600; i++ {
		d.train = append(d.train, l.Scan(uint64(i)))
	}
	for i := 700; i < 900; i++ {
		d.test = append(d.test, l.Scan(uint64(i)))
	}
	return d
}

func simCamera(t *testing.T) evalData {
	w, err := sim.NewWorld(sim.WorldOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := sim.NewCamera(w, sim.CameraOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := evalData{name: "simulated camera 320×240", kind: sensors.KindCamera}
	for i := 0; i < 600; i++ {
		d.train = append(d.train, c.Image(uint64(i)))
	}
	for i := 700; i < 900; i++ {
		d.test = append(d.test, c.Image(uint64(i)))
	}
	return d
}

// realLidar: the 13 real VLP-16 revolutions of go.einride.tech/vlp16's
// recording, augmented by rotations about the vertical axis (a robot
// turning on the spot): training uses the first 10 revolutions, test the
// last 3, each at different yaw angles.
func realLidar(t *testing.T) (evalData, bool) {
	out, err := exec.Command("go", "mod", "download", "-json", "go.einride.tech/vlp16@v0.7.0").Output()
	if err != nil {
		t.Logf("real LiDAR skipped: go mod download: %v", err)
		return evalData{}, false
	}
	i := bytes.Index(out, []byte(`"Dir": "`))
	if i < 0 {
		return evalData{}, false
	}
	dir := string(out[i+8:])
	dir = dir[:strings.IndexByte(dir, '"')]
	b, err := os.ReadFile(filepath.Join(dir, "testdata", "recording.bin"))
	if err != nil {
		t.Logf("real LiDAR skipped: %v", err)
		return evalData{}, false
	}
	a, err := velodyne.NewAssembler(velodyne.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var revs []*sensors.Scan
	emit := func(s *sensors.Scan) {
		if len(s.Points) > 15000 {
			revs = append(revs, s)
		}
	}
	now := time.Unix(0, 0)
	for off := 0; off+1206 <= len(b); off += 1206 {
		now = now.Add(1327 * time.Microsecond)
		_ = a.Add(b[off:off+1206], now, emit)
	}
	a.Flush(emit)
	if len(revs) < 6 {
		t.Logf("real LiDAR skipped: %d revolutions", len(revs))
		return evalData{}, false
	}
	d := evalData{name: fmt.Sprintf("real VLP-16 (%d revolutions, yaw-augmented)", len(revs)), kind: sensors.KindLidar}
	nTest := 3
	for k := 0; k < 40; k++ {
		for _, s := range revs[:len(revs)-nTest] {
			d.train = append(d.train, rotate(s, float64(k)*2*math.Pi/40+0.01*float64(k%7)))
		}
	}
	for k := 0; k < 40; k++ {
		for _, s := range revs[len(revs)-nTest:] {
			d.test = append(d.test, rotate(s, float64(k)*2*math.Pi/40+0.05))
		}
	}
	return d, true
}

func rotate(s *sensors.Scan, yaw float64) *sensors.Scan {
	c := *s
	c.Points = append([]sensors.Point(nil), s.Points...)
	sn, cs := math.Sincos(yaw)
	for i := range c.Points {
		p := &c.Points[i]
		x, y := float64(p.X), float64(p.Y)
		p.X, p.Y = float32(cs*x+sn*y), float32(-sn*x+cs*y)
		az := math.Mod(float64(p.Azimuth)+yaw, 2*math.Pi)
		p.Azimuth = float32(az)
	}
	return &c
}

// realCamera: the real fixed-camera video vtest.avi of Debian opencv-doc
// (768×576, 795 frames), decoded to grayscale by ffmpeg; training is the
// first 500 frames, test the rest.
func realCamera(t *testing.T) (evalData, bool) {
	path := "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
	if _, err := os.Stat(path); err != nil {
		t.Logf("real camera skipped: %v (apt-get install opencv-doc)", err)
		return evalData{}, false
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-")
	raw, err := cmd.Output()
	if err != nil {
		t.Logf("real camera skipped: ffmpeg: %v", err)
		return evalData{}, false
	}
	const w, h = 768, 576
	d := evalData{name: "real camera vtest.avi 768×576", kind: sensors.KindCamera}
	for i := 0; (i+1)*w*h <= len(raw); i++ {
		im := &sensors.Image{Header: sensors.Header{Seq: uint64(i), Stamp: time.Unix(int64(i), 0)},
			Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: raw[i*w*h : (i+1)*w*h]}
		if i < 500 {
			d.train = append(d.train, im)
		} else {
			d.test = append(d.test, im)
		}
	}
	return d, true
}
