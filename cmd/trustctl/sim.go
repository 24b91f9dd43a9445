package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
)

// cmdSim simulates the robot's LiDAR and camera under a fault scenario and
// writes standard recordings plus labels.csv.
func cmdSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", stderr)
	scenario := fs.String("scenario", "", "fault scenario YAML (default: the built-in default scenario)")
	duration := fs.Duration("duration", 0, "simulated time (default: the scenario's duration, else 60s)")
	out := fs.String("out", "", "output directory: one subdirectory per sensor and labels.csv")
	seed := fs.Uint64("seed", 1, "world and sensor noise seed")
	lidarName := fs.String("lidar", "lidar0", "LiDAR sensor name (empty: no LiDAR)")
	camName := fs.String("camera", "cam0", "camera sensor name (empty: no camera)")
	width := fs.Int("width", 320, "camera width, pixels")
	height := fs.Int("height", 240, "camera height, pixels")
	fps := fs.Float64("fps", 15, "camera frame rate, Hz")
	printDefault := fs.Bool("print-default", false, "print the built-in default scenario and exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl sim [--scenario FILE] [--duration D] --out DIR [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Simulates a VLP-16 LiDAR (KITTI .bin) and a grayscale camera (PNG) on a robot")
		fmt.Fprintln(fs.Output(), "driving through a procedural world, injects the scenario's faults, and writes")
		fmt.Fprintln(fs.Output(), "DIR/<sensor>/ recordings with timestamps.txt and DIR/labels.csv (sensor, frame,")
		fmt.Fprintln(fs.Output(), "file, stamp, fault, severity, altered) saying which fault was active on which frame.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *printDefault {
		_, err := stdout.Write(faults.DefaultYAML())
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	if *out == "" {
		return usageError("--out is required")
	}
	if *lidarName == "" && *camName == "" {
		return usageError("nothing to simulate: --lidar and --camera are both empty")
	}
	if *lidarName == *camName {
		return usageError("--lidar and --camera need different names")
	}
	if !(*fps > 0 && *fps <= 1000) {
		return usageError("--fps %v out of range (0, 1000]", *fps)
	}
	sc, err := loadScenario(*scenario)
	if err != nil {
		return err
	}
	d := *duration
	if d == 0 {
		d = sc.Duration
	}
	if d == 0 {
		d = time.Minute
	}
	if d < 0 {
		return usageError("--duration %v is negative", d)
	}
	world, err := sim.NewWorld(sim.WorldOptions{Seed: *seed})
	if err != nil {
		return err
	}
	var gens []sim.Generator
	if *lidarName != "" {
		l, err := sim.NewLidar(world, sim.LidarOptions{Name: *lidarName, Seed: *seed})
		if err != nil {
			return err
		}
		gens = append(gens, l)
	}
	if *camName != "" {
		c, err := sim.NewCamera(world, sim.CameraOptions{Name: *camName, Seed: *seed, Width: *width, Height: *height, Period: time.Duration(float64(time.Second) / *fps)})
		if err != nil {
			return usageError("%v", err)
		}
		gens = append(gens, c)
	}
	simulated := map[string]bool{}
	for _, g := range gens {
		simulated[g.Info().Name] = true
	}
	for _, s := range sc.Sensors() {
		if !simulated[s] {
			fmt.Fprintf(stderr, "trustctl sim: warning: the scenario names sensor %q, which is not simulated (--lidar %q, --camera %q)\n", s, *lidarName, *camName)
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	lw, err := newLabelWriter(filepath.Join(*out, evaluation.LabelsFile))
	if err != nil {
		return err
	}
	for _, g := range gens {
		info := g.Info()
		n := uint64(d / info.Period)
		src := &generatorFrames{gen: g, n: n}
		written, err := playInto(ctx, src, info, sc, sim.Epoch(), filepath.Join(*out, info.Name), info.Name+"/", lw)
		if err != nil {
			lw.close()
			return err
		}
		fmt.Fprintf(stdout, "%s: %d frames simulated, %d written to %s\n", info.Name, n, written, filepath.Join(*out, info.Name))
	}
	if err := lw.close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "labels: %s\n", filepath.Join(*out, evaluation.LabelsFile))
	return nil
}

func loadScenario(path string) (*faults.Scenario, error) {
	if path == "" {
		return faults.Default()
	}
	sc, err := faults.LoadScenario(path)
	if err != nil {
		var se *faults.ScenarioError
		if errors.As(err, &se) {
			return nil, usageError("%v", err)
		}
		return nil, err
	}
	return sc, nil
}

// frameReader yields frames by index.
type frameReader interface {
	Len() int
	Read(i int) (sensors.Frame, error)
}

type generatorFrames struct {
	gen sim.Generator
	n   uint64
}

func (g *generatorFrames) Len() int                          { return int(g.n) }
func (g *generatorFrames) Read(i int) (sensors.Frame, error) { return g.gen.Frame(uint64(i)), nil }

// playInto pushes every frame of src through the scenario's player for the
// sensor and writes what comes out into dir, with one label row per frame
// written. It returns the number of frames written.
//
// prefix is the frames' directory relative to labels.csv ("" or "lidar0/").
func playInto(ctx context.Context, src frameReader, info sensors.Info, sc *faults.Scenario, start time.Time, dir, prefix string, lw *labelWriter) (int, error) {
	p, err := faults.NewPlayer(sc, info, start)
	if err != nil {
		return 0, usageError("%v", err)
	}
	w, err := recorded.NewDirWriter(dir)
	if err != nil {
		return 0, err
	}
	write := func(outs []faults.Output) error {
		for _, o := range outs {
			i := w.Written()
			if err := w.Write(o.Frame); err != nil {
				return err
			}
			if err := lw.write(info, prefix, i, o); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < src.Len(); i++ {
		if err := ctx.Err(); err != nil {
			w.Close()
			return w.Written(), err
		}
		f, err := src.Read(i)
		if err != nil {
			w.Close()
			return w.Written(), err
		}
		if err := write(p.Push(f)); err != nil {
			w.Close()
			return w.Written(), err
		}
	}
	if err := write(p.Flush()); err != nil {
		w.Close()
		return w.Written(), err
	}
	return w.Written(), w.Close()
}

// labelWriter writes labels.csv: one row per written frame.
type labelWriter struct {
	f *os.File
	w *csv.Writer
}

func newLabelWriter(path string) (*labelWriter, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s exists or is not writable (refusing to mix recordings): %w", path, err)
	}
	lw := &labelWriter{f: f, w: csv.NewWriter(f)}
	if err := lw.w.Write([]string{"sensor", "frame", "file", "stamp", "fault", "severity", "altered"}); err != nil {
		f.Close()
		return nil, err
	}
	return lw, nil
}

// write records frame i of a sensor. Several faults in force are joined by
// "+" with the highest severity; a clean frame has fault "none" and
// severity 0.
func (lw *labelWriter) write(info sensors.Info, prefix string, i int, o faults.Output) error {
	fault, sev := "none", 0
	if len(o.Active) > 0 {
		names := make([]string, len(o.Active))
		for k, l := range o.Active {
			names[k] = l.Fault
			sev = max(sev, l.Severity)
		}
		fault = strings.Join(names, "+")
	}
	ext := ".png"
	if info.Kind == sensors.KindLidar {
		ext = ".bin"
	}
	return lw.w.Write([]string{info.Name, strconv.Itoa(i), fmt.Sprintf("%s%06d%s", prefix, i, ext),
		recorded.FormatStamp(o.Frame.Head().Stamp), fault, strconv.Itoa(sev), strconv.FormatBool(o.Altered)})
}

func (lw *labelWriter) close() error {
	lw.w.Flush()
	err := lw.w.Error()
	if cerr := lw.f.Close(); err == nil {
		err = cerr
	}
	return err
}
