package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"sort"
	"time"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// Role says which blocks of training a recording feeds.
type Role int

const (
	// Split recordings feed every block: their first 70 % trains, the next
	// 10 % stops training early, the last 20 % calibrates the thresholds.
	Split Role = iota
	// CalibrateOnly recordings go whole into the calibration block, so the
	// thresholds see a scene the models did not learn.
	CalibrateOnly
)

// Recording is one recording's frames in order.
type Recording struct {
	Dir    string   // where the frames came from: a directory, or a name for generated frames
	Names  []string // one per frame: its file name
	Frames []sensors.Frame
	Period time.Duration // median stamp step
	Role   Role
}

// LoadRecordings reads every frame of the directories, which must all hold
// frames of kind (KindUnknown: any, but all the same). lidarModel names the
// LiDAR for ring recovery from KITTI files ("" detects a VLP-16). The
// recordings are Split.
func LoadRecordings(ctx context.Context, dirs []string, kind sensors.Kind, lidarModel string) ([]Recording, error) {
	var recs []Recording
	for _, dir := range dirs {
		d, err := OpenRecording(dir, kind, lidarModel)
		if err != nil {
			return nil, err
		}
		kind = d.Kind()
		r := Recording{Dir: dir}
		for i := 0; i < d.Len(); i++ {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("training: %w", err)
			}
			f, err := d.Read(i)
			if err != nil {
				return nil, fmt.Errorf("training: recording %s: %w", dir, err)
			}
			r.Names = append(r.Names, d.Name(i))
			r.Frames = append(r.Frames, f)
		}
		r.Period = FramePeriod(d)
		recs = append(recs, r)
	}
	return recs, nil
}

// OpenRecording indexes a directory of frames of kind (KindUnknown: any).
// lidarModel names the LiDAR for ring recovery from KITTI files ("" detects
// a VLP-16 from the first three frames).
func OpenRecording(dir string, kind sensors.Kind, lidarModel string) (*recorded.Dir, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("training: recording %s: %w", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("training: recording %s: not a directory", dir)
	}
	d, err := recorded.OpenDir(dir)
	if err != nil {
		if errors.Is(err, sensors.ErrNoData) {
			return nil, fmt.Errorf("training: recording %s: no frames in it (want KITTI .bin, PCD, PNG, JPEG or PGM files): %w", dir, err)
		}
		return nil, fmt.Errorf("training: recording %s: %w", dir, err)
	}
	if kind != sensors.KindUnknown && d.Kind() != kind {
		return nil, fmt.Errorf("training: recording %s holds %v frames (%v), not %v", dir, d.Kind(), d.Format(), kind)
	}
	model := lidarModel
	if d.Kind() == sensors.KindLidar && model == "" {
		if model, err = detectLidarModel(d); err != nil {
			return nil, err
		}
	}
	if model != "" && d.Kind() == sensors.KindLidar {
		if d, err = recorded.OpenDir(dir, recorded.DirOptions{Model: model}); err != nil {
			return nil, fmt.Errorf("training: recording %s: %w", dir, err)
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
			return "", fmt.Errorf("training: recording %s: %w", d.Path(), err)
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

// LidarModelFor names the LiDAR whose ring ids a model's representation
// expects (recorded.ModelVLP16 or ""): a model whose rows are the sixteen
// VLP-16 elevations, each within 0.05°, was trained on VLP-16 scans.
func LidarModelFor(m *likelihood.Model) string {
	r := m.Repr()
	if r.Kind != sensors.KindLidar || len(r.Elevations) != len(vlp16Elevations) {
		return ""
	}
	for _, e := range r.Elevations {
		ok := false
		for _, v := range vlp16Elevations {
			if math.Abs(float64(e)*180/math.Pi-v) < 0.05 {
				ok = true
			}
		}
		if !ok {
			return ""
		}
	}
	return recorded.ModelVLP16
}

// FramePeriod is the median time between consecutive frames of a
// directory, 100 ms when it cannot be told.
func FramePeriod(d *recorded.Dir) time.Duration {
	if s := MedianStep(d); s > 0 {
		return s
	}
	return 100 * time.Millisecond
}

// MedianStep is the median positive stamp step of a directory (0 if none).
func MedianStep(d *recorded.Dir) time.Duration {
	var steps []time.Duration
	for i := 1; i < d.Len(); i++ {
		if s := d.Stamp(i).Sub(d.Stamp(i - 1)); s > 0 {
			steps = append(steps, s)
		}
	}
	if len(steps) == 0 {
		return 0
	}
	sort.Slice(steps, func(a, b int) bool { return steps[a] < steps[b] })
	return steps[len(steps)/2]
}
