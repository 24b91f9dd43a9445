package main

import (
	"context"
	"time"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// recording is one directory's frames in file-name order, as the scoring
// commands use them.
type recording struct {
	dir    string
	names  []string
	frames []sensors.Frame
	period time.Duration // median stamp step
}

// recordingOf is r as the scoring commands use it.
func recordingOf(r training.Recording) recording {
	return recording{dir: r.Dir, names: r.Names, frames: r.Frames, period: r.Period}
}

// loadRecordings reads every frame of the directories (training.LoadRecordings).
func loadRecordings(ctx context.Context, dirs []string, kind sensors.Kind, lidarModel string) ([]recording, error) {
	rs, err := training.LoadRecordings(ctx, dirs, kind, lidarModel)
	if err != nil {
		return nil, err
	}
	out := make([]recording, len(rs))
	for i, r := range rs {
		out[i] = recordingOf(r)
	}
	return out, nil
}

// openRecording indexes a directory of frames (training.OpenRecording).
func openRecording(dir string, kind sensors.Kind, lidarModel string) (*recorded.Dir, error) {
	return training.OpenRecording(dir, kind, lidarModel)
}

// framePeriod is the median time between frames (training.FramePeriod).
func framePeriod(d *recorded.Dir) time.Duration { return training.FramePeriod(d) }

// advisoryError is the health ERROR threshold of an advisory health model,
// which calibrate and inspect recognise.
const advisoryError = training.AdvisoryHealthError
