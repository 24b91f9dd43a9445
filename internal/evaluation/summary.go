package evaluation

import (
	"context"
	"fmt"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
)

// Summary is what the results table leaves out, one line each: the clean
// recording's false alarms, every labelled stream's false alarms on its
// clean stretches and their total, and a warning when the clean recording
// is the model's training data. trustctl eval prints it under the table.
func Summary(res *Result) []string {
	lines := []string{fmt.Sprintf("clean %s: %d frames, %.1f %% above threshold, %.1f %% ERROR, %d false alarms (%.1f per hour)",
		res.Clean.Dir, res.Clean.Frames, 100*res.Clean.Flagged, 100*res.Clean.Error, res.Clean.FalseAlarms, res.Clean.FalseAlarmsPerHour)}
	for _, s := range res.Streams {
		lines = append(lines, fmt.Sprintf("labelled stream %s: %d false alarms on %d clean frames (%.4f h): %.1f per hour",
			s.Dir, s.FalseAlarms, s.CleanFrames, s.CleanHours, s.FalseAlarmsPerHour))
	}
	if len(res.Streams) > 1 {
		lines = append(lines, fmt.Sprintf("labelled streams: %d false alarms over %.4f h of clean stretches: %.1f per hour",
			res.StreamFalseAlarms, res.StreamCleanHours, res.StreamFalseAlarmsPerHour))
	}
	if res.CleanIsTrainingData {
		lines = append(lines, TrainingDataWarning(res.Clean.Dir))
	}
	return lines
}

// TrainingDataWarning says that the clean recording dir is the model's
// training data.
func TrainingDataWarning(dir string) string {
	return fmt.Sprintf("warning: the clean recording %s is the model's training data (it hashes to the bundle's training data hash): "+
		"its false alarms and the AUROCs against it are optimistic; evaluate on a held-out clean recording", dir)
}

// TrainedOn reports whether r, as loaded, is the stream the model was
// trained on: the single recording of a "trustctl train --in DIR" without
// calibration recordings. Training on several recordings hashes them
// together, so a clean recording that was only one of them is not noticed.
func TrainedOn(ctx context.Context, ms *modelbundle.Models, r training.Recording) (bool, error) {
	h, err := ms.VAE.DataHash(ctx, r.Frames)
	if err != nil {
		return false, fmt.Errorf("evaluation: %s: %w", r.Dir, err)
	}
	return h == ms.VAE.Meta().DataHash, nil
}
