package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// Where the real recordings of the default models come from.
const (
	einrideModule = scenes.EinrideModule
	vtestPath     = scenes.OpenCVData + "/vtest.avi"
)

// cmdModels trains the default LiDAR and camera models deterministically.
func cmdModels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("models", stderr)
	out := fs.String("out", "", "directory for lidar.bundle and camera.bundle (required)")
	work := fs.String("work", "", "directory for decoded real recordings (default: a temporary directory, removed afterwards)")
	tiny := fs.Bool("tiny", false, "tiny simulated-only models (for testing reproducibility)")
	evalDir := fs.String("eval", "", "also evaluate the models on held-out real and simulated data with every catalogue fault injected, writing results.md, results.json and per-set HTML reports here")
	evalFrames := fs.Int("eval-frames", 100, "held-out clean frames per evaluation set (each fault is injected into all but the first fifth of them)")
	noTrain := fs.Bool("no-train", false, "with --eval: evaluate the bundles already in --out instead of training")
	evalSeed := fs.Uint64("eval-seed", 7, "with --eval: seed of the injected faults (where blobs fall, which points move, the noise)")
	evalWorld := fs.Uint64("eval-world", 101, "with --eval: world of the simulated held-out drives; must not be a training or calibration world")
	quiet := fs.Bool("quiet", false, "no progress bars")
	var lidarAdd, cameraAdd dirList
	fs.Var(&lidarAdd, "lidar-add", "a recording of the robot's own clean LiDAR drive, added to the default LiDAR model's data (repeatable); the model's id becomes lidar-default-adapted")
	fs.Var(&cameraAdd, "camera-add", "the same for the camera")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl models --out DIR [--eval DIR] [--lidar-add DIR] [--camera-add DIR] [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Trains the default models on simulated drives in thirty procedural worlds, photographs")
		fmt.Fprintln(fs.Output(), "of Debian opencv-doc and python3-skimage turned into camera drives, and the real")
		fmt.Fprintln(fs.Output(), "recordings (einride VLP-16 capture from the Go module "+einrideModule+",")
		fmt.Fprintln(fs.Output(), "vtest.avi of Debian opencv-doc decoded with ffmpeg), deterministically, and")
		fmt.Fprintln(fs.Output(), "calibrates the thresholds on drives in two more worlds plus the last part of each")
		fmt.Fprintln(fs.Output(), "recording, and both models' alarms on six more. --lidar-add and --camera-add add the")
		fmt.Fprintln(fs.Output(), "robot's own clean recordings: a default model that has also seen where the robot drives.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *noTrain && *evalDir == "" {
		return usageError("--no-train only makes sense with --eval")
	}
	if *noTrain && len(lidarAdd)+len(cameraAdd) > 0 {
		return usageError("--lidar-add and --camera-add train; they do not go with --no-train")
	}
	if fs.NArg() > 0 || *out == "" {
		return usageError("--out DIR is required and no arguments are taken")
	}
	if *evalWorld == 0 {
		return usageError("--eval-world must be a world seed above 0")
	}
	size := training.SizeFull
	if *tiny {
		size = training.SizeTiny
	}
	plans := training.DefaultPlans(size)
	for _, p := range plans {
		if slices.Contains(p.SimWorlds, *evalWorld) || slices.Contains(p.AlarmWorlds, *evalWorld) {
			return usageError("%s", fmt.Sprintf("--eval-world %d: the %s model trains or calibrates on that world; pick one outside %v", *evalWorld, p.Options.Kind, p.SimWorlds))
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	wd := *work
	if wd == "" {
		d, err := os.MkdirTemp("", "trustctl-models-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		wd = d
	}
	var sets []evaluation.Set
	for _, p := range plans {
		kind := p.Options.Kind
		t0 := time.Now()
		realDir, err := realFrames(ctx, p, wd, stderr)
		if err != nil {
			return err
		}
		if *noTrain {
			// Only the held-out part is evaluated: the training drives
			// (gigabytes of LiDAR scans) are not made.
			held, err := training.PlanHeldOut(ctx, p, realDir)
			if err != nil {
				return err
			}
			ss, err := evalSets(ctx, p, filepath.Join(*out, p.File), held, *evalWorld, *evalFrames)
			if err != nil {
				return err
			}
			sets = append(sets, ss...)
			continue
		}
		recs, held, err := scenes.PlanRecordings(ctx, p, realDir)
		if err != nil {
			return err
		}
		own := lidarAdd
		if kind == sensors.KindCamera {
			own = cameraAdd
		}
		if len(own) > 0 {
			rs, err := training.LoadRecordings(ctx, own, kind, "")
			if err != nil {
				return err
			}
			recs = append(recs, rs...)
			p.Options.ModelID += "-adapted"
		}
		path := filepath.Join(*out, p.File)
		if !*noTrain {
			res, err := trainModel(ctx, recs, p.Options, *quiet, stderr)
			if err != nil {
				return fmt.Errorf("%s: %w", p.File, err)
			}
			sceneRuns, err := scenes.PlanAlarmRuns(ctx, p)
			if err != nil {
				return err
			}
			bundle, al, err := training.PlanAlarms(ctx, p, res.Bundle, sceneRuns)
			if err != nil {
				return fmt.Errorf("%s: %w", p.File, err)
			}
			if err := writeFileAtomic(path, bundle); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: %d bytes, trained in %v: %s\n", path, len(bundle), time.Since(t0).Round(time.Second), trainSummary(res))
			if al != nil {
				fmt.Fprintf(stdout, "  alarms on %d clean frames of worlds %v and %d scenes: frame score WARN %.4g, ERROR %.4g, rise %.4g; health WARN %.4g, ERROR %.4g\n",
					al.Frames, p.AlarmWorlds, len(p.AlarmScenes), al.ScoreWarn, al.Threshold, al.RiseLevel, al.HealthWarn, al.HealthError)
			}
		}
		if *evalDir != "" {
			ss, err := evalSets(ctx, p, path, held, *evalWorld, *evalFrames)
			if err != nil {
				return err
			}
			sets = append(sets, ss...)
		}
	}
	if *evalDir == "" {
		return nil
	}
	for i := range sets {
		// A model of its own for each set, as each evaluation judges with it.
		ms, err := openModel(ctx, sets[i].Model, sensors.KindUnknown)
		if err != nil {
			return err
		}
		sets[i].Models = ms
	}
	return writeEvalSets(ctx, sets, *evalSeed, *evalDir, *quiet, stdout, stderr)
}

// evalSets are the held-out sets a plan's model at path is evaluated on:
// frames of a simulated drive in world, and the first frames of the held-out
// part of its real recording when it has one.
func evalSets(ctx context.Context, p training.Plan, path string, held training.Recording, world uint64, frames int) ([]evaluation.Set, error) {
	kind := p.Options.Kind
	sim, err := training.SimDrive(ctx, kind, p.SimSize, world, 0, frames)
	if err != nil {
		return nil, err
	}
	sets := []evaluation.Set{{Name: "simulated " + kind.String(), Model: path, Clean: sim, World: world}}
	if held.Frames != nil {
		if len(held.Frames) > frames {
			held.Frames, held.Names = held.Frames[:frames], held.Names[:frames]
		}
		sets = append(sets, evaluation.Set{Name: "real " + kind.String() + " (" + filepath.Base(held.Dir) + ")", Model: path, Clean: held})
	}
	return sets, nil
}

// realFrames fetches and decodes the real recording a plan trains on into
// work and returns its directory ("" when the plan takes none).
func realFrames(ctx context.Context, p training.Plan, work string, stderr io.Writer) (string, error) {
	if p.RealTrain == 0 {
		return "", nil
	}
	switch p.Options.Kind {
	case sensors.KindLidar:
		return einrideFrames(ctx, work, stderr)
	case sensors.KindCamera:
		return vtestFrames(ctx, work, stderr)
	}
	return "", fmt.Errorf("no real %v recording", p.Options.Kind)
}

// einrideFrames converts the real VLP-16 capture of the einride module to
// KITTI frames in work/einride.
func einrideFrames(ctx context.Context, work string, stderr io.Writer) (string, error) {
	out := filepath.Join(work, "einride")
	if _, err := os.Stat(filepath.Join(out, recorded.TimestampsFile)); err == nil {
		return out, nil
	}
	in, err := scenes.EinrideRecording(ctx)
	if err != nil {
		return "", err
	}
	if err := cmdConvert(ctx, []string{"--in", in, "--out", out, "--drop-partial"}, io.Discard, stderr); err != nil {
		return "", fmt.Errorf("convert %s: %w", in, err)
	}
	return out, nil
}

// vtestFrames decodes vtest.avi to gray PNG frames in work/vtest.
func vtestFrames(ctx context.Context, work string, stderr io.Writer) (string, error) {
	out := filepath.Join(work, "vtest")
	if m, _ := filepath.Glob(filepath.Join(out, "*.png")); len(m) > 0 {
		return out, nil
	}
	if _, err := os.Stat(vtestPath); err != nil {
		return "", fmt.Errorf("real camera video %s missing (Debian: apt-get install opencv-doc): %w", vtestPath, err)
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		return "", fmt.Errorf("ffmpeg is needed to decode %s (Debian: apt-get install ffmpeg): %w", vtestPath, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "ffmpeg", "-nostdin", "-v", "error", "-i", vtestPath, "-vf", "format=gray", "-f", "image2", filepath.Join(out, "%06d.png"))
	cmd.Stderr = stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("ffmpeg %s: %w", vtestPath, err)
	}
	return out, nil
}

// writeEvalSets evaluates the sets (evaluation.EvaluateSets) and writes
// results.md (one table per set), results.json (the numbers by set name)
// and one HTML report per set to dir; results.md also goes to stdout.
func writeEvalSets(ctx context.Context, sets []evaluation.Set, seed uint64, dir string, quiet bool, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	progress, done := progressBars(quiet, stderr)
	evs, err := evaluation.EvaluateSets(ctx, sets, seed, progress)
	done()
	if err != nil {
		return err
	}
	var md bytes.Buffer
	all := map[string]*evaluation.Result{}
	for i, ev := range evs {
		name := sets[i].Name
		all[name] = ev.Result
		if err := report.Markdown(&md, ev.Table); err != nil {
			return err
		}
		md.WriteString("\n")
		slug := strings.NewReplacer(" ", "-", "(", "", ")", "").Replace(name)
		if err := writeWith(filepath.Join(dir, slug+".html"), func(w io.Writer) error {
			return report.WriteHTML(w, ev.Report())
		}); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), md.Bytes(), 0o644); err != nil {
		return err
	}
	js, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), js, 0o644); err != nil {
		return err
	}
	_, err = stdout.Write(md.Bytes())
	return err
}
