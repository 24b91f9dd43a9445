package evaluation

import (
	"context"
	"fmt"
	"iter"
	"strconv"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/report"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// OwnCalibrated is the deployed decision on a held-out scene once the
// model's alarms were set on the scene's own clean drive.
type OwnCalibrated struct {
	// SceneResult judges the frames after the soak, as EvaluateScenes does.
	SceneResult
	// Threshold and OwnThreshold are the frame score's ERROR threshold of
	// the model and after the calibration.
	Threshold, OwnThreshold float64
	// Soak is the clean drive that follows the calibration frames.
	Soak Soak
}

// OwnOptions configure OwnCalibration.
type OwnOptions struct {
	Calibrate int // clean frames of each scene the alarms are set on, > 0
	Soak      int // clean frames judged after them, > 0
	// Scenes say how the frames after the soak are judged; their
	// Drive.Start is set to follow the soak.
	Scenes SceneOptions
}

// OwnCalibration sets the model's alarms on the first o.Calibrate clean
// frames of each scene's drive, as `trustctl calibrate --health-alarms`
// does on a robot's recorded drive (the health model's ERROR level too),
// soaks the model on the
// o.Soak clean frames after them, and evaluates the frames after those as
// EvaluateScenes does. Scenes that hold too few frames are left out.
func OwnCalibration(ctx context.Context, ms *modelbundle.Models, model string, list []HeldOutScene, o OwnOptions) ([]OwnCalibrated, error) {
	if o.Calibrate <= 0 || o.Soak <= 0 || o.Scenes.Drive.Frames <= 0 {
		return nil, fmt.Errorf("%w: own calibration of %d frames, soak of %d, evaluation of %d: each must be positive", ErrOptions, o.Calibrate, o.Soak, o.Scenes.Drive.Frames)
	}
	var out []OwnCalibrated
	for _, s := range list {
		if s.Len > 0 && s.Len < o.Calibrate+o.Soak+o.Scenes.Drive.Frames {
			continue
		}
		// The calibration and soak frames are made a chunk at a time as
		// they are judged: 1800 LiDAR scans would take gigabytes.
		var driveErr func() error
		drive := func(start, n int) training.Run {
			d := o.Scenes.Drive
			d.Start, d.Frames = start, n
			var frames iter.Seq[sensors.Frame]
			frames, driveErr = s.Chunked(ctx, d)
			return training.Run{Frames: frames, Period: s.Period}
		}
		al, err := training.CalibrateAlarms(ctx, ms, []training.Run{drive(0, o.Calibrate)}, training.AlarmOptions{HealthAlarms: true, Version: ms.Bundle.Version + 1, Created: ms.Metadata.Created})
		if derr := driveErr(); derr != nil {
			err = derr
		}
		if err != nil {
			return nil, fmt.Errorf("scene %s: %w", s.Name, err)
		}
		own, err := modelbundle.Open(ctx, al.Bundle, ms.VAE.Kind())
		if err != nil {
			return nil, fmt.Errorf("scene %s: %w", s.Name, err)
		}
		soak, err := CleanSoak(ctx, own, s.Name, drive(o.Calibrate, o.Soak), JudgeOptions{})
		if derr := driveErr(); derr != nil {
			err = derr
		}
		if err != nil {
			return nil, fmt.Errorf("scene %s: %w", s.Name, err)
		}
		so := o.Scenes
		so.Drive.Start = o.Calibrate + o.Soak
		rs, err := EvaluateScenes(ctx, own, model, []HeldOutScene{s}, so)
		if err != nil {
			return nil, err
		}
		out = append(out, OwnCalibrated{SceneResult: rs[0], Threshold: ms.VAE.Threshold(), OwnThreshold: own.VAE.Threshold(), Soak: soak})
	}
	return out, nil
}

// OwnCalibrationTable is the table of OwnCalibration, one scene per row,
// with the clean and fault targets of ScenesTable marked; the clean
// target holds on the soak and on the evaluated clean frames.
func OwnCalibrationTable(caption string, rs []OwnCalibrated) report.Table {
	t := report.Table{Caption: caption, Header: []string{"scene", "source", "threshold, model → own",
		"clean drive after: frames, entries into ERROR, untrusted", "clean untrusted", "judge AUROC sev 1 / 2 / 3",
		"fault frames untrusted sev 1 / 2 / 3", "least untrusted fault (sev ≥ 2)", "targets met"}}
	for _, r := range rs {
		soakOK := r.Soak.Untrusted <= 0.01
		cleanOK := r.CleanUntrusted <= 0.01
		detOK := r.WorstUntrusted >= 0.95
		met := targetsMet(target{soakOK && cleanOK, "clean"}, target{detOK, "faults"})
		t.Rows = append(t.Rows, []string{r.Scene, source(r.Real),
			strconv.FormatFloat(r.Threshold, 'f', 2, 64) + " → " + strconv.FormatFloat(r.OwnThreshold, 'f', 2, 64),
			strconv.Itoa(r.Soak.Frames) + ", " + strconv.Itoa(r.Soak.Errors) + ", " + pct(r.Soak.Untrusted) + mark(soakOK),
			pct(r.CleanUntrusted) + mark(cleanOK),
			f3(r.JudgeAUROC[0]) + " / " + f3(r.JudgeAUROC[1]) + " / " + f3(r.JudgeAUROC[2]),
			pct(r.Untrusted[0]) + " / " + pct(r.Untrusted[1]) + " / " + pct(r.Untrusted[2]),
			r.Worst + ": " + pct(r.WorstUntrusted) + mark(detOK), met})
	}
	return t
}
