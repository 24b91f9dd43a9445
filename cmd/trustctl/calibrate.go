package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// cmdCalibrate sets a bundle's alarm thresholds on clean recordings of the
// robot's own operating area and writes a new bundle version.
func cmdCalibrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calibrate", stderr)
	model := fs.String("model", "", "model bundle to calibrate (required)")
	var ins dirList
	fs.Var(&ins, "in", "directory of clean frames in time order, held out from training (repeatable; each is one contiguous run)")
	out := fs.String("out", "", "calibrated model bundle to write (required)")
	k := fs.Int("enter-k", 0, "bad frames among the last N that enter ERROR, as configured on the robot (agent.enter_k; 0: default 3)")
	n := fs.Int("enter-n", 0, "window of frames for K (agent.enter_n; 0: default 5)")
	sk := fs.Int("sustain-k", 0, "frames with suspect content among the last sustain-n that enter ERROR, as configured on the robot (agent.sustain_k; 0: off); sets the WARN thresholds for that rule")
	sn := fs.Int("sustain-n", 0, "window of frames for sustain-k (agent.sustain_n; 0: default 50)")
	rate := fs.Float64("alarm-rate", agent.DefaultAlarmRate, "target false entries into ERROR per hour of clean stream, for each alarm, extrapolated from the runs")
	healthAlarms := fs.Bool("health-alarms", false, "set the health model's ERROR threshold on the recordings alone (never below their 99.9th percentile), not never below its own: an advisory health model then raises ERROR. For recordings of the robot's own operating area")
	ver := fs.Uint64("version", 0, "version of the new bundle (0: the model's version + 1)")
	created := fs.String("created", "", "creation time recorded in the bundle (RFC 3339; default $SOURCE_DATE_EPOCH when set, else now)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl calibrate --model MODEL --in DIR [--in DIR ...] --out MODEL [flags]")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Runs the model's integer scorer and health autoencoder over clean recordings, as")
		fmt.Fprintln(fs.Output(), "trustd does, and sets each threshold so that the K-of-N rule that enters ERROR")
		fmt.Fprintln(fs.Output(), "does so --alarm-rate times per hour of clean stream, by the tail of the largest")
		fmt.Fprintln(fs.Output(), "clean episodes, and would never have fired on the recordings (never below the")
		fmt.Fprintln(fs.Output(), "99.9th percentile of the clean frame scores, nor below the health model's own")
		fmt.Fprintln(fs.Output(), "ERROR threshold). The tail needs more than ten separate clean episodes: record")
		fmt.Fprintln(fs.Output(), "tens of minutes of drive. Writes an unsigned bundle with a higher version; sign")
		fmt.Fprintln(fs.Output(), "it with 'trustctl bundle sign'.")
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || len(ins) == 0 || *out == "" {
		return usageError("--model, --in and --out are required")
	}
	if *k < 0 || *n < 0 || *sk < 0 || *sn < 0 {
		return usageError("--enter-k, --enter-n, --sustain-k and --sustain-n must not be negative")
	}
	if !(*rate > 0) || math.IsInf(*rate, 0) {
		return usageError("--alarm-rate %v: want a positive number of false ERRORs per hour", *rate)
	}
	dec := agent.Persistence{K: *k, N: *n, SustainK: *sk, SustainN: *sn}
	filled := dec.WithDefaults()
	if err := filled.Validate(); err != nil {
		return usageError("%v", err)
	}
	when, err := creationTime(*created)
	if err != nil {
		return err
	}
	if when.IsZero() {
		when = time.Now().UTC()
	}

	ms, err := openModel(ctx, *model, sensors.KindUnknown)
	if err != nil {
		return err
	}
	kind := ms.VAE.Kind()
	recs, err := loadRecordings(ctx, ins, kind, training.LidarModelFor(ms.VAE))
	if err != nil {
		return err
	}
	v := *ver
	if v == 0 {
		v = ms.Bundle.Version + 1
	}
	if v <= ms.Bundle.Version {
		return usageError("--version %d is not above the model's version %d (robots refuse downgrades)", v, ms.Bundle.Version)
	}
	runs := make([]training.Run, len(recs))
	for i, r := range recs {
		runs[i] = training.RunOf(training.Recording{Dir: r.dir, Names: r.names, Frames: r.frames, Period: r.period})
	}
	al, err := training.CalibrateAlarms(ctx, ms, runs, training.AlarmOptions{Decision: dec, AlarmRate: *rate, HealthAlarms: *healthAlarms, Version: v, Created: when})
	if err != nil {
		return fmt.Errorf("calibrate %s: %w", *model, err)
	}
	cal, data := al.Calibration, al.Bundle
	if err := writeFileAtomic(*out, data); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "wrote %s (%s %s version %d): %d clean frames in %d runs, %d of %d to enter ERROR\n",
		*out, kind, ms.Bundle.ModelID, v, cal.Frames, cal.Runs, filled.K, filled.N)
	fmt.Fprintf(stdout, "  frame score threshold %.4g -> %.4g (99.9th percentile %.4g, alarm %.4g); WARN %.4g\n",
		al.PreviousThreshold, cal.Threshold, cal.ScoreQuantile, cal.ScoreAlarm, cal.ScoreWarn)
	describeTail(stdout, "frame score", cal.ScoreTail)
	fmt.Fprintf(stdout, "  frame score rise level %.4g (the larger of the runs' rises' 99.9th percentile and their alarm level %.4g)\n", cal.RiseLevel, cal.RiseTail.Threshold)
	describeTail(stdout, "frame score rise", cal.RiseTail)
	if filled.SustainK > 0 {
		fmt.Fprintf(stdout, "  sustained rule %d of %d: WARN levels at the runs' %g quantile, where they hold at most %d suspect frames in a window\n",
			filled.SustainK, filled.SustainN, cal.SuspectQuantile, cal.SustainMax)
	}
	if ms.Health != nil {
		if cal.HealthError >= advisoryError {
			fmt.Fprintf(stdout, "  health model advisory (WARN only), ERROR unchanged (its alarm level would be %.4g); WARN %.4g\n", cal.HealthAlarm, cal.HealthWarn)
		} else {
			own := fmt.Sprintf("%.4g", cal.HealthOwn)
			if cal.HealthOwn >= advisoryError {
				own = "advisory"
			}
			fmt.Fprintf(stdout, "  health ERROR threshold %s -> %.4g (alarm %.4g); WARN %.4g\n", own, cal.HealthError, cal.HealthAlarm, cal.HealthWarn)
			describeTail(stdout, "health", cal.HealthTail)
		}
	}
	return nil
}

// describeTail says how an alarm level was reached, and warns when the
// runs were too short to extrapolate.
func describeTail(w io.Writer, what string, t agent.AlarmTail) {
	span := time.Duration(t.Hours * float64(time.Hour)).Round(time.Second)
	if !t.Fitted {
		fmt.Fprintf(w, "  warning: %s alarm not extrapolated (%s): it is the level silent on these %v,\n", what, t.Why, span)
		fmt.Fprintf(w, "    which new clean drive exceeds about once per %v; record more clean drive\n", span)
		return
	}
	fmt.Fprintf(w, "    %s alarm: silent on the runs above %.4g; %.3g false ERRORs per hour at %.4g by the tail of %d clean episodes in %v (shape %.3g, scale %.3g)\n",
		what, t.Max, t.Rate, t.Threshold, t.Events, span, t.Shape, t.Scale)
}
