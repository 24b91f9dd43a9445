package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// cmdInject applies one fault (or a scenario) to a recorded directory.
func cmdInject(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("inject", stderr)
	fault := fs.String("fault", "", "fault name (see --list)")
	severity := fs.Int("severity", 0, "severity 1, 2 or 3")
	seed := fs.Uint64("seed", 1, "random seed of the fault")
	scenario := fs.String("scenario", "", "apply a scenario timeline instead of one fault (times from the first frame)")
	sensor := fs.String("sensor", "", "sensor name the scenario's events use for this recording (default: the input directory's name)")
	in := fs.String("in", "", "input recording directory (KITTI .bin, PCD, PNG, JPEG or PGM frames, timestamps.txt)")
	out := fs.String("out", "", "output directory (created; must not hold a recording)")
	model := fs.String("model", recorded.ModelVLP16, "LiDAR model of a KITTI/PCD input, to recover ring ids (\"\" if unknown)")
	list := fs.Bool("list", false, "list the faults and their parameters, then exit")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl inject --fault NAME --severity S [--seed N] --in DIR --out DIR")
		fmt.Fprintln(fs.Output(), "       trustctl inject --scenario FILE [--sensor NAME] --in DIR --out DIR")
		fmt.Fprintln(fs.Output(), "       trustctl inject --list")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Writes the faulted recording (KITTI .bin or PNG frames, timestamps.txt) and")
		fmt.Fprintln(fs.Output(), "OUT/labels.csv saying which frames the fault was in force on.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseArgs(fs, args); err != nil {
		return err
	}
	if *list {
		return listFaults(stdout)
	}
	if fs.NArg() > 0 {
		return usageError("unexpected arguments %q", fs.Args())
	}
	if *in == "" || *out == "" {
		return usageError("--in and --out are required")
	}
	if (*fault == "") == (*scenario == "") {
		return usageError("give either --fault with --severity, or --scenario")
	}
	if filepath.Clean(*in) == filepath.Clean(*out) {
		return usageError("--in and --out must differ")
	}
	first, err := recorded.OpenDir(*in)
	if err != nil {
		return err
	}
	opts := recorded.DirOptions{Sensor: *sensor}
	if k := first.Kind(); k == sensors.KindLidar {
		opts.Model = *model
	}
	dir, err := recorded.OpenDir(*in, opts)
	if err != nil {
		return err
	}
	info := sensors.Info{Name: dir.Options().Sensor, Kind: dir.Kind(), Period: training.MedianStep(dir)}
	var sc *faults.Scenario
	if *scenario != "" {
		if sc, err = loadScenario(*scenario); err != nil {
			return err
		}
		if !mentions(sc, info.Name) {
			fmt.Fprintf(stderr, "trustctl inject: warning: the scenario has no events for sensor %q (use --sensor)\n", info.Name)
		}
	} else {
		if *severity < 1 || *severity > 3 {
			return usageError("--severity must be 1, 2 or 3")
		}
		if _, err := faults.New(info.Kind, faults.Config{Fault: *fault, Severity: *severity, Seed: *seed, Period: info.Period}); err != nil {
			return usageError("%v", err)
		}
		if info.Kind == sensors.KindLidar && ringFault(*fault) && dir.Len() > 0 {
			if f, err := dir.Read(0); err == nil && f.(*sensors.Scan).Rings == 0 {
				fmt.Fprintf(stderr, "trustctl inject: warning: %s works on rings, but the scans carry no ring ids (give --model)\n", *fault)
			}
		}
		// one fault over the whole recording is a one-event scenario
		sc = &faults.Scenario{Seed: *seed, Events: []faults.Event{{Sensor: info.Name, Fault: *fault, Severity: *severity, Seed: *seed}}}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	lw, err := newLabelWriter(filepath.Join(*out, evaluation.LabelsFile))
	if err != nil {
		return err
	}
	var start time.Time
	if dir.Len() > 0 {
		start = dir.Stamp(0)
	}
	written, err := playInto(ctx, dir, info, sc, start, *out, "", lw)
	if cerr := lw.close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d frames read, %d written to %s\n", info.Name, dir.Len(), written, *out)
	return nil
}

// ringFault reports whether a LiDAR fault selects points by ring.
func ringFault(name string) bool {
	return name == "beam_missing" || name == "cross_sensor" || name == "cross_sensor_matched"
}

func mentions(sc *faults.Scenario, sensor string) bool {
	for _, s := range sc.Sensors() {
		if s == sensor {
			return true
		}
	}
	return false
}

func listFaults(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-8s %-22s %-16s %-16s %-16s %s\n", "class", "fault", "severity 1", "severity 2", "severity 3", "what happens")
	for _, sp := range faults.Catalogue() {
		fmt.Fprintf(&b, "%-8s %-22s %-16s %-16s %-16s %s\n", sp.Class, sp.Name, sp.Params[0], sp.Params[1], sp.Params[2], sp.Summary)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return err
	}
	return nil
}
