package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/version"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// dirList is a repeatable directory flag.
type dirList []string

func (d *dirList) String() string     { return strings.Join(*d, ",") }
func (d *dirList) Set(s string) error { *d = append(*d, s); return nil }

// trainConfig is everything train needs besides the frames.
type trainConfig struct {
	kind    sensors.Kind
	seed    uint64
	fpr     float64
	epochs  int
	hidden  int
	latent  int
	thumbW  int
	azBins  int
	health  string // healthError, healthWarn or healthOff
	modelID string
	version uint64
	created time.Time // zero: now
	quiet   bool
}

// cmdTrain trains, quantises and calibrates a sensor's models on clean
// recordings and writes a model bundle.
func cmdTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", stderr)
	sensor := fs.String("sensor", "", "sensor kind: lidar or camera (required)")
	var ins dirList
	fs.Var(&ins, "in", "directory of clean frames (KITTI .bin, PCD, PNG, JPEG or PGM, optional timestamps.txt); repeat for several recordings")
	var calIns dirList
	fs.Var(&calIns, "cal-in", "directory of clean frames used only to calibrate the thresholds (repeatable; default: the last 20 % of every --in)")
	out := fs.String("out", "", "model bundle to write (required)")
	cfg := trainConfig{}
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed: the same seed and data give the same model")
	fs.Float64Var(&cfg.fpr, "fpr", 0.01, "target per-frame false-positive rate on held-out clean frames")
	fs.IntVar(&cfg.epochs, "epochs", 0, "maximum VAE training epochs (0: default 150, early stopping)")
	fs.IntVar(&cfg.hidden, "hidden", 0, "VAE encoder/decoder hidden width (0: default 64)")
	fs.IntVar(&cfg.latent, "latent", 0, "VAE latent dimension (0: default 8)")
	fs.IntVar(&cfg.thumbW, "thumb", 0, "camera thumbnail width (0: default 32)")
	fs.IntVar(&cfg.azBins, "azimuth-bins", 0, "LiDAR range-image azimuth bins (0: default 64)")
	fs.StringVar(&cfg.health, "health", healthWarn, "what the health autoencoder may raise: warn (advisory reasons, level WARN), error (WARN above its 99th, ERROR above its 99.9th percentile on the calibration block), off (not trained)")
	fs.StringVar(&cfg.modelID, "id", "", "model id recorded in the bundle (default <sensor>-<out file name>)")
	fs.Uint64Var(&cfg.version, "version", 1, "model version recorded in the bundle (>= 1)")
	fs.BoolVar(&cfg.quiet, "quiet", false, "no progress bar")
	created := fs.String("created", "", "creation time recorded in the model (RFC 3339; default $SOURCE_DATE_EPOCH when set, else now): fix it to get byte-identical models")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustctl train --sensor lidar|camera --in DIR [--in DIR ...] --out MODEL [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Trains the sensor's VAE and health autoencoder on clean frames, quantises them,")
		fmt.Fprintln(stderr, "calibrates the threshold after quantisation on the last contiguous block of clean")
		fmt.Fprintln(stderr, "frames at the target false-positive rate and writes an unsigned model bundle")
		fmt.Fprintln(stderr, "(sign it with 'trustctl bundle sign').")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	kind, ok := sensors.ParseKind(*sensor)
	if !ok || (kind != sensors.KindLidar && kind != sensors.KindCamera) {
		return usageError("--sensor must be lidar or camera, got %q", *sensor)
	}
	cfg.kind = kind
	if len(ins) == 0 || *out == "" {
		return usageError("--in and --out are required")
	}
	if !(cfg.fpr > 0 && cfg.fpr < 0.5) {
		return usageError("--fpr %v outside (0, 0.5)", cfg.fpr)
	}
	if cfg.version == 0 {
		return usageError("--version must be >= 1")
	}
	if cfg.health != healthWarn && cfg.health != healthError && cfg.health != healthOff {
		return usageError("--health must be warn, error or off, got %q", cfg.health)
	}
	var err error
	if cfg.created, err = creationTime(*created); err != nil {
		return err
	}
	if cfg.modelID == "" {
		cfg.modelID = kind.String() + "-" + strings.TrimSuffix(filepath.Base(*out), filepath.Ext(*out))
	}
	recs, err := loadRecordings(ctx, append(append([]string(nil), ins...), calIns...), kind, "")
	if err != nil {
		return err
	}
	for i := len(ins); i < len(recs); i++ {
		recs[i].calOnly = true
	}
	t0 := time.Now()
	data, sum, err := trainBundle(ctx, recs, cfg, stderr)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(*out, data); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes) in %v: %s\n", *out, len(data), time.Since(t0).Round(time.Millisecond), sum)
	return nil
}

// creationTime resolves a --created flag: RFC 3339, else
// $SOURCE_DATE_EPOCH when set, else the zero time (the caller's default).
func creationTime(flag string) (time.Time, error) {
	if flag != "" {
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, usageError("--created: %v", err)
		}
		return t.UTC(), nil
	}
	if sde := os.Getenv("SOURCE_DATE_EPOCH"); sde != "" {
		sec, err := strconv.ParseInt(sde, 10, 64)
		if err != nil {
			return time.Time{}, usageError("SOURCE_DATE_EPOCH %q is not a number of seconds", sde)
		}
		return time.Unix(sec, 0).UTC(), nil
	}
	return time.Time{}, nil
}

// recording is one directory's frames in file-name order.
type recording struct {
	dir    string
	names  []string
	frames []sensors.Frame
	period time.Duration // median stamp step
	// calOnly: used whole for threshold calibration, never for training.
	calOnly bool
}

// loadRecordings reads every frame of the directories, which must all hold
// frames of kind (KindUnknown: any, but all the same). lidarModel names
// the LiDAR for ring recovery from KITTI files ("" detects a VLP-16).
func loadRecordings(ctx context.Context, dirs []string, kind sensors.Kind, lidarModel string) ([]recording, error) {
	var recs []recording
	for _, dir := range dirs {
		d, err := openRecording(dir, kind, lidarModel)
		if err != nil {
			return nil, err
		}
		kind = d.Kind()
		r := recording{dir: dir}
		for i := 0; i < d.Len(); i++ {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			f, err := d.Read(i)
			if err != nil {
				return nil, fmt.Errorf("recording %s: %w", dir, err)
			}
			r.names = append(r.names, d.Name(i))
			r.frames = append(r.frames, f)
		}
		r.period = framePeriod(d)
		recs = append(recs, r)
	}
	return recs, nil
}

// openRecording indexes a directory of frames of kind (KindUnknown: any).
// lidarModel names the LiDAR for ring recovery from KITTI files ("" detects
// a VLP-16).
func openRecording(dir string, kind sensors.Kind, lidarModel string) (*recorded.Dir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("recording %s: not a directory", dir)
	}
	d, err := recorded.OpenDir(dir)
	if err != nil {
		if errors.Is(err, sensors.ErrNoData) {
			return nil, fmt.Errorf("recording %s: no frames in it (want KITTI .bin, PCD, PNG, JPEG or PGM files): %w", dir, err)
		}
		return nil, fmt.Errorf("recording %s: %w", dir, err)
	}
	if kind != sensors.KindUnknown && d.Kind() != kind {
		return nil, fmt.Errorf("recording %s holds %v frames (%v), not %v", dir, d.Kind(), d.Format(), kind)
	}
	model := lidarModel
	if d.Kind() == sensors.KindLidar && model == "" {
		if model, err = detectLidarModel(d); err != nil {
			return nil, err
		}
	}
	if model != "" && d.Kind() == sensors.KindLidar {
		if d, err = recorded.OpenDir(dir, recorded.DirOptions{Model: model}); err != nil {
			return nil, fmt.Errorf("recording %s: %w", dir, err)
		}
	}
	return d, nil
}

// vlp16Elevations are the VLP-16 laser elevations in degrees.
var vlp16Elevations = [16]float64{-15, 1, -13, 3, -11, 5, -9, 7, -7, 9, -5, 11, -3, 13, -1, 15}

// detectLidarModel says whether a directory of ring-less scans comes from a
// VLP-16: at least 95 % of the returns of its first frames lie within 0.3°
// of one of the sixteen laser elevations. Scans that carry rings (PCD with
// a ring field) need no detection.
func detectLidarModel(d *recorded.Dir) (string, error) {
	total, near := 0, 0
	for i := 0; i < min(d.Len(), 3); i++ {
		f, err := d.Read(i)
		if err != nil {
			return "", fmt.Errorf("recording %s: %w", d.Path(), err)
		}
		s, ok := f.(*sensors.Scan)
		if !ok {
			return "", nil
		}
		if s.Rings > 0 {
			return "", nil
		}
		for _, p := range s.Points {
			h := math.Hypot(float64(p.X), float64(p.Y))
			if p.Range == 0 && h == 0 && p.Z == 0 {
				continue
			}
			el := math.Atan2(float64(p.Z), h) * 180 / math.Pi
			total++
			for _, e := range vlp16Elevations {
				if math.Abs(el-e) < 0.3 {
					near++
					break
				}
			}
		}
	}
	if total > 0 && float64(near) >= 0.95*float64(total) {
		return recorded.ModelVLP16, nil
	}
	return "", nil
}

// framePeriod is the median time between consecutive frames, 100 ms when
// it cannot be told.
func framePeriod(d *recorded.Dir) time.Duration {
	if s := medianStep(d); s > 0 {
		return s
	}
	return 100 * time.Millisecond
}

// trainBundle trains the VAE and the health model on the recordings (in
// order) and returns the bundle bytes and a one-line summary.
func trainBundle(ctx context.Context, recs []recording, cfg trainConfig, stderr io.Writer) ([]byte, string, error) {
	parts, valFrac, calFrac := arrange(recs, func(r recording) []sensors.Frame { return r.frames })
	frames := streamOf(parts)
	if valFrac <= 0 || calFrac <= 0 || valFrac+calFrac >= 0.8 {
		return nil, "", fmt.Errorf("the calibration recordings hold %.0f %% of the frames; give more training frames", 100*calFrac)
	}
	if len(frames) < likelihood.MinFrames {
		return nil, "", fmt.Errorf("%d frames given, training needs at least %d clean frames (a few hundred give a good model)", len(frames), likelihood.MinFrames)
	}
	bar := newBar(len(frames)*2, "encode", cfg.quiet, stderr)
	stage := ""
	opts := likelihood.TrainOptions{
		Seed: cfg.seed, TargetFPR: cfg.fpr, Epochs: cfg.epochs, ValFraction: valFrac, CalFraction: calFrac,
		Hidden: cfg.hidden, DecoderHidden: cfg.hidden, Latent: cfg.latent,
		ThumbW: cfg.thumbW, AzBins: cfg.azBins,
		Progress: func(p likelihood.Progress) {
			if p.Stage != stage {
				stage = p.Stage
				total := p.Total
				if total <= 0 {
					total = -1
				}
				bar.Reset()
				bar.ChangeMax(total)
				bar.Describe(stage)
			}
			bar.Set(p.Done)
		},
	}
	vae, err := likelihood.Train(ctx, frames, opts)
	bar.Finish()
	if err != nil {
		if errors.Is(err, likelihood.ErrTooFewFrames) {
			return nil, "", fmt.Errorf("too few usable frames to train, validate and calibrate: %w", err)
		}
		return nil, "", fmt.Errorf("train vae: %w", err)
	}
	spec := modelbundle.Spec{VAE: vae, ModelID: cfg.modelID, Version: cfg.version, Created: cfg.created, ToolVersion: version.String()}
	// Probes: the last frames, from the calibration block.
	for i := len(frames) - 1; i >= 0 && len(spec.ProbeFrames) < 4; i-- {
		if frames[i] != nil {
			spec.ProbeFrames = append(spec.ProbeFrames, frames[i])
		}
	}
	if cfg.health != healthOff {
		hm, rows, err := trainHealth(ctx, recs, cfg)
		switch {
		case errors.Is(err, errFewHealthRows):
			fmt.Fprintf(stderr, "trustctl train: warning: %v; the model has no health autoencoder\n", err)
		case err != nil:
			return nil, "", err
		default:
			spec.Health = hm
			spec.HealthProbes = rows[max(0, len(rows)-4):]
		}
	}
	data, err := modelbundle.Build(spec)
	if err != nil {
		return nil, "", err
	}
	c := vae.Calibration()
	m := vae.Meta()
	sum := fmt.Sprintf("%v model, %d frames (train %d, val %d, cal %d), %d epochs, threshold %.4g at target FPR %.3g",
		cfg.kind, m.Frames, m.TrainFrames, m.ValFrames, m.CalFrames, m.Epochs, c.Threshold, c.TargetFPR)
	if spec.Health != nil {
		sum += fmt.Sprintf(", health model on %d features", spec.Health.D())
	}
	return data, sum, nil
}

// arrange orders the items of several recordings so that the contiguous
// blocks Train holds out come from every recording: the first 70 % of each
// recording (training), then the next 10 % of each (validation, early
// stopping), then the last 20 % of each (threshold calibration). A
// recording marked calOnly goes whole into the calibration block, so the
// thresholds see a scene the models did not learn. Within a part, items
// keep their order. It returns the parts in order, and the validation and
// calibration fractions of all items.
func arrange[T any](recs []recording, items func(recording) []T) (parts [][]T, valFrac, calFrac float64) {
	if len(recs) == 1 && !recs[0].calOnly {
		// One recording stays one stream: its blocks are contiguous.
		return [][]T{items(recs[0])}, 0.1, 0.2
	}
	var head, val, cal [][]T
	var nv, nc, n int
	for _, r := range recs {
		it := items(r)
		n += len(it)
		if r.calOnly {
			cal = append(cal, it)
			nc += len(it)
			continue
		}
		a, b := len(it)*7/10, len(it)*8/10
		head = append(head, it[:a])
		val = append(val, it[a:b])
		cal = append(cal, it[b:])
		nv += b - a
		nc += len(it) - b
	}
	for _, p := range [][][]T{head, val, cal} {
		for _, q := range p {
			if len(q) > 0 {
				parts = append(parts, q)
			}
		}
	}
	if n == 0 {
		return parts, 0.1, 0.2
	}
	return parts, float64(nv) / float64(n), float64(nc) / float64(n)
}

// streamOf joins arranged frame parts into one sequence for
// likelihood.Train with a nil frame between parts: Train skips it and
// forgets the previous frame, so no statistic compares frames of two
// different recordings.
func streamOf(parts [][]sensors.Frame) []sensors.Frame {
	var out []sensors.Frame
	for i, p := range parts {
		if i > 0 {
			out = append(out, nil)
		}
		out = append(out, p...)
	}
	return out
}

// Health modes of train's --health flag.
const (
	healthWarn  = "warn"
	healthError = "error"
	healthOff   = "off"
)

// advisoryError is the health ERROR threshold of an advisory health model:
// far above any score a real feature vector reaches (the score is a mean
// squared error in standard deviations), so the model raises WARN only.
//
// Why advisory is the default: on a simulated drive in a world none of the
// training drives saw, the health autoencoder's clean scores exceeded its
// 99.9th-percentile calibration threshold on 98 % of frames (the frame
// statistics it sees, such as ring fill and roughness, move with the scene),
// while the VAE's calibrated threshold flagged none of them. As an ERROR
// source it would make an unseen scene untrusted; as a WARN source it
// still names the features that moved.
const advisoryError = 1e9

// errFewHealthRows: too few frames for the health model (training goes on
// without it).
var errFewHealthRows = errors.New("too few frames for the health autoencoder")

// trainHealth computes the per-frame health vectors of every recording
// (the timing window and frame statistics the daemon computes) and trains
// the health autoencoder on them, ordered by arrange like the VAE's frames
// (each recording's vectors are computed in its own order, so the timing
// window and the previous-frame statistics are those of that recording).
func trainHealth(ctx context.Context, recs []recording, cfg trainConfig) (*health.Model, [][]float64, error) {
	var perRec [][][]float64
	var names []string
	for _, r := range recs {
		var rows [][]float64
		sf, err := health.NewSensorFeatures(cfg.kind, r.period)
		if err != nil {
			return nil, nil, fmt.Errorf("health features: %w", err)
		}
		names = sf.Names()
		for i, f := range r.frames {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
			v, err := sf.Next(nil, f)
			if err != nil {
				return nil, nil, fmt.Errorf("health features of %s: %w", filepath.Join(r.dir, r.names[i]), err)
			}
			rows = append(rows, v)
		}
		perRec = append(perRec, rows)
	}
	k := 0
	parts, valFrac, calFrac := arrange(recs, func(recording) [][]float64 { k++; return perRec[k-1] })
	var rows [][]float64
	for _, p := range parts {
		rows = append(rows, p...)
	}
	if len(rows) < health.MinTrainRows {
		return nil, nil, fmt.Errorf("%w: %d frames, it needs at least %d", errFewHealthRows, len(rows), health.MinTrainRows)
	}
	// Recordings hold one stamp per frame, so they cannot show how frames
	// arrive on the robot: the model leaves arrival timing to the stream checks.
	m, _, err := health.Train(rows, names, health.TrainOptions{ID: "health-" + cfg.modelID, Seed: cfg.seed, ValFrac: valFrac, CalibFrac: calFrac, Ignore: health.ArrivalNames()})
	if err != nil {
		return nil, nil, fmt.Errorf("train health model: %w", err)
	}
	if cfg.health == healthWarn {
		m = m.Clone()
		m.Error = advisoryError
	}
	return m, rows, nil
}

// newBar returns a progress bar with ETA on stderr (silent when quiet).
func newBar(max int, desc string, quiet bool, w io.Writer) *progressbar.ProgressBar {
	if quiet {
		w = io.Discard
	}
	return progressbar.NewOptions(max,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
	)
}
