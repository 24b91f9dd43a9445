package scenes

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// EinrideModule is the pinned Go module whose testdata/recording.bin holds
// a real VLP-16 capture: 1,000 payloads, about 13 revolutions at 10 Hz.
const EinrideModule = "go.einride.tech/vlp16@v0.7.0"

// CaptureTurnDeg is how far the capture scene turns between frames: a
// robot turning in place at 15°/s.
const CaptureTurnDeg = 1.5

// EinrideRecording returns the path of the einride capture, downloading
// the module into the Go module cache (go mod download) when it is not
// there yet.
func EinrideRecording(ctx context.Context) (string, error) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.CommandContext(ctx, gobin, "mod", "download", "-json", EinrideModule)
	cmd.Dir = os.TempDir() // outside any module: no go.mod is touched
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	err = cmd.Run()
	var mod struct{ Dir, Error string }
	if jerr := json.Unmarshal(out.Bytes(), &mod); err == nil && jerr != nil {
		err = jerr
	}
	if err != nil || mod.Dir == "" {
		return "", fmt.Errorf("scenes: locate the real VLP-16 capture (go mod download %s): %v %s %s", EinrideModule, err, mod.Error, bytes.TrimSpace(stderr.Bytes()))
	}
	path := filepath.Join(mod.Dir, "testdata", "recording.bin")
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("scenes: %w", err)
	}
	return path, nil
}

// captureRevolutions decodes the full revolutions of a VLP-16 recording
// (raw payloads or pcap).
func captureRevolutions(ctx context.Context, path string) ([]*sensors.Scan, error) {
	src, err := velodyne.NewFileSource(path, velodyne.FileOptions{Name: "lidar0", Pacing: velodyne.PaceFast,
		Assembler: velodyne.Options{Partial: velodyne.DropPartial}})
	if err != nil {
		return nil, fmt.Errorf("scenes: %w", err)
	}
	var scans []*sensors.Scan
	err = src.Run(ctx, func(f sensors.Frame) {
		if s, ok := f.(*sensors.Scan); ok {
			scans = append(scans, s)
		}
	})
	if err != nil && !(errors.Is(err, sensors.ErrNoData) && len(scans) > 0) {
		return nil, fmt.Errorf("scenes: %s: %w", path, err)
	}
	if len(scans) < 2 {
		return nil, fmt.Errorf("scenes: %s: %d full revolutions, want at least 2", path, len(scans))
	}
	return scans, nil
}

// pingPong maps frame i of an endless drive to a revolution of n ≥ 2
// played forth and back: 0, 1, …, n−1, n−2, …, 1, 0, 1, …
func pingPong(i, n int) int {
	j := i % (2 * (n - 1))
	if j >= n {
		return 2*(n-1) - j
	}
	return j
}

// turn returns the returns of pts turned about the vertical axis by th
// radians (counter-clockwise seen from above).
func turn(pts []sensors.Point, th float64) []sensors.Point {
	c, s := math.Cos(th), math.Sin(th)
	out := make([]sensors.Point, 0, len(pts))
	for _, p := range pts {
		if !(p.Range > 0) {
			continue
		}
		x, y := float64(p.X), float64(p.Y)
		p.X, p.Y = float32(c*x-s*y), float32(s*x+c*y)
		out = append(out, p)
	}
	return out
}

// captureFrames makes the frames of a capture scene: the revolutions
// played forth and back, frame i turned by i·CaptureTurnDeg.
func captureFrames(ctx context.Context, s Scene, o DriveOptions) ([]sensors.Frame, error) {
	v, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	revs := v.([]*sensors.Scan)
	return generate(ctx, o.Frames, func(k int) (sensors.Frame, error) {
		i := o.Start + k
		th := math.Mod(float64(i)*CaptureTurnDeg, 360) * math.Pi / 180
		return asFile(turn(revs[pingPong(i, len(revs))].Points, th))
	})
}
