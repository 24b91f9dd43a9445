package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// cmdScene lists the scene catalogue, or writes one scene's clean drive as
// a recording that score, eval, train, calibrate and inject read.
func cmdScene(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("scene", stderr)
	list := fs.Bool("list", false, "list the scenes on this machine, then exit")
	name := fs.String("name", "", "scene to write, as --list names it (sim-world<N> for any world seed N)")
	sensor := fs.String("sensor", "", "lidar or camera: the catalogue to look in (default both)")
	out := fs.String("out", "", "output directory (created; must not hold a recording)")
	frames := fs.Int("frames", 600, "frames to write")
	start := fs.Int("start", 0, "index of the first frame")
	seed := fs.Uint64("seed", 0, "noise and virtual-sensor path of a simulated world, photograph or scan (0: the scene's own)")
	width := fs.Int("width", scenes.DefaultWidth, "camera frame width, pixels")
	height := fs.Int("height", scenes.DefaultHeight, "camera frame height, pixels")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl scene --list [--sensor KIND]")
		fmt.Fprintln(fs.Output(), "       trustctl scene --name NAME --out DIR [--frames N] [--start I] [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "The scene catalogue is every place the default models are trained and judged in:")
		fmt.Fprintln(fs.Output(), "simulated worlds, the real LiDAR capture and scan, the real videos, and photographs")
		fmt.Fprintln(fs.Output(), "seen by a slowly panning, zooming camera. --name writes frames [I, I+N) of one")
		fmt.Fprintln(fs.Output(), "scene's clean drive to DIR (KITTI .bin or PNG frames, timestamps.txt), the same")
		fmt.Fprintln(fs.Output(), "frames the results tables judge.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	kinds := []sensors.Kind{sensors.KindLidar, sensors.KindCamera}
	switch *sensor {
	case "":
	case "lidar":
		kinds = kinds[:1]
	case "camera":
		kinds = kinds[1:]
	default:
		return usageError("--sensor %q: want lidar or camera", *sensor)
	}
	var all []scenes.Scene
	var missing []scenes.Missing
	for _, k := range kinds {
		ss, ms := scenes.Catalogue(ctx, k)
		all, missing = append(all, ss...), append(missing, ms...)
	}
	if *list {
		for _, m := range missing {
			fmt.Fprintf(stderr, "trustctl scene: warning: %s missing (%s): its scenes are not listed\n", m.What, m.Install)
		}
		return listScenes(stdout, all)
	}
	if *name == "" || *out == "" {
		return usageError("--name and --out are required (--list names the scenes)")
	}
	if *frames <= 0 || *start < 0 {
		return usageError("--frames %d from --start %d: want more than 0 frames from 0 or later", *frames, *start)
	}
	var found []scenes.Scene
	for _, s := range all {
		if s.Name == *name {
			found = append(found, s)
		}
	}
	if w, ok := simWorld(*name); ok && len(found) == 0 {
		// Any world seed is a scene; the catalogue lists a few.
		for _, k := range kinds {
			found = append(found, scenes.SimScene(k, w))
		}
	}
	switch {
	case len(found) == 0 && len(missing) > 0:
		return usageError("no scene %q on this machine; %d sources of scenes are missing, see --list", *name, len(missing))
	case len(found) == 0:
		return usageError("no scene %q in the catalogue (see --list)", *name)
	case len(found) > 1:
		return usageError("%s is a scene of both sensors: give --sensor lidar or --sensor camera", *name)
	}
	sc := found[0]
	if sc.Len > 0 && *start+*frames > sc.Len {
		return usageError("%s holds %d frames; --start %d --frames %d asks for [%d, %d)", sc.Name, sc.Len, *start, *frames, *start, *start+*frames)
	}
	// The directory is created at the first frame, so that options the
	// scene refuses leave nothing behind.
	seq, driveErr := sc.Chunked(ctx, scenes.DriveOptions{Frames: *frames, Start: *start, Seed: *seed, Width: *width, Height: *height})
	var w *recorded.DirWriter
	var err error
	for f := range seq {
		if w == nil {
			if w, err = recorded.NewDirWriter(*out); err != nil {
				return err
			}
		}
		if err = w.Write(f); err != nil {
			break
		}
	}
	if err == nil {
		err = driveErr()
	}
	if w == nil {
		if errors.Is(err, scenes.ErrOptions) {
			return usageError("%v", err)
		}
		return err
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w (%s holds the %d frames written before)", err, *out, w.Written())
	}
	fmt.Fprintf(stdout, "wrote %d %s frames of %s to %s\n", *frames, sc.Kind, sc.Name, *out)
	return nil
}

// simWorld parses the name of a procedural world, "sim-world<seed>".
func simWorld(name string) (uint64, bool) {
	v, ok := strings.CutPrefix(name, "sim-world")
	if !ok {
		return 0, false
	}
	w, err := strconv.ParseUint(v, 10, 64)
	return w, err == nil && w > 0
}

// listScenes prints one line per scene: name, sensor, origin, whether its
// frames are real, its length and rate, and its source.
func listScenes(w io.Writer, list []scenes.Scene) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scene\tsensor\torigin\treal\tframes\tHz\tsource")
	for _, s := range list {
		n := "endless"
		if s.Len > 0 {
			n = fmt.Sprint(s.Len)
		}
		src, _, _ := strings.Cut(s.Source, ":")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%.3g\t%s\n", s.Name, s.Kind, s.Origin, s.Real, n, 1/s.Period.Seconds(), src)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "\nsim-world<N> is the procedural world of any seed N ≥ 1; the catalogue lists a few.")
	return err
}
