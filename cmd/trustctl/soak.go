package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// cmdSoak judges long clean simulated drives with a model, as trustd
// would, and counts the false alarms.
func cmdSoak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("soak", stderr)
	models := fs.String("models", filepath.Join("deploy", "models"), "directory holding lidar.bundle and camera.bundle")
	worlds := fs.String("worlds", "7,9,11", "simulated worlds to drive in, comma-separated (pick worlds the models never saw)")
	dur := fs.Duration("duration", 20*time.Minute, "clean drive per world and sensor")
	sensor := fs.String("sensor", "", "lidar or camera (default both)")
	var jo evaluation.JudgeOptions
	addJudgeFlags(fs, &jo)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl soak [--models DIR] [--worlds 7,9,11] [--duration 20m] [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Drives the simulated VLP-16 (10 Hz) and 320x240 camera (15 fps) through clean")
		fmt.Fprintln(fs.Output(), "worlds, judges every frame with the models as trustd would, and prints the")
		fmt.Fprintln(fs.Output(), "entries into ERROR and WARN per hour: every one is a false alarm.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("no arguments are taken")
	}
	if *dur <= 0 {
		return usageError("--duration %v: want a positive duration", *dur)
	}
	var ws []uint64
	for _, f := range strings.Split(*worlds, ",") {
		w, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil || w == 0 {
			return usageError("--worlds: %q is not a world seed above 0", f)
		}
		ws = append(ws, w)
	}
	kinds := []sensors.Kind{sensors.KindLidar, sensors.KindCamera}
	switch *sensor {
	case "":
	case "lidar", "camera":
		k, _ := sensors.ParseKind(*sensor)
		kinds = []sensors.Kind{k}
	default:
		return usageError("--sensor %q: want lidar or camera", *sensor)
	}
	for _, k := range kinds {
		path := filepath.Join(*models, k.String()+".bundle")
		ms, err := openModel(ctx, path, k)
		if err != nil {
			return err
		}
		for _, p := range training.DefaultPlans(training.SizeFull) {
			for _, w := range ws {
				if p.Options.Kind == k && filepath.Base(path) == p.File && (slices.Contains(p.SimWorlds, w) || slices.Contains(p.AlarmWorlds, w)) {
					fmt.Fprintf(stderr, "trustctl soak: warning: the default %s model trains or calibrates on world %d; its false alarms there are optimistic\n", k, w)
				}
			}
		}
		ss, err := evaluation.SoakWorlds(ctx, ms, ws, *dur, jo)
		if err != nil {
			return err
		}
		for _, s := range ss {
			fmt.Fprintln(stdout, s)
		}
		if len(ss) > 1 {
			fmt.Fprintln(stdout, evaluation.Total(k.String()+", all worlds", ss))
		}
	}
	return nil
}
