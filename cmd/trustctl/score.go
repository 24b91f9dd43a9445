package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/sensortrust/trustagent/internal/evaluation"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

// cmdScore runs a recording through a model and the daemon's decision
// logic and writes one JSON object per frame.
func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", stderr)
	model := fs.String("model", "", "model bundle (required)")
	in := fs.String("in", "", "directory of frames to score (required)")
	out := fs.String("out", "", "JSON-lines file to write (required; - for stdout)")
	var jo evaluation.JudgeOptions
	addJudgeFlags(fs, &jo)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: trustctl score --model MODEL --in DIR --out FILE.jsonl")
		fmt.Fprintln(fs.Output())
		fmt.Fprintln(fs.Output(), "Scores every frame of DIR in file-name order through the model and trustd's")
		fmt.Fprintln(fs.Output(), "decision logic (stream timing from timestamps.txt, frozen-frame check, health")
		fmt.Fprintln(fs.Output(), "autoencoder, k-of-n persistence) and writes one JSON object per frame:")
		fmt.Fprintln(fs.Output(), `  {"frame": "000000.png", "score": 1.3, "threshold": 9.8, "trusted": true, "level": "OK", "reasons": [], ...}`)
		fmt.Fprintln(fs.Output())
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *model == "" || *in == "" || *out == "" {
		return usageError("--model, --in and --out are required")
	}
	ms, err := openModel(ctx, *model, sensors.KindUnknown)
	if err != nil {
		return err
	}
	d, err := openRecording(*in, sensors.KindUnknown, training.LidarModelFor(ms.VAE))
	if err != nil {
		return err
	}
	if k := d.Kind(); k != ms.VAE.Kind() {
		return fmt.Errorf("model %s is for %v, %s holds %v frames: %w", *model, ms.VAE.Kind(), *in, k, modelbundle.ErrKind)
	}
	var w io.Writer = stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	rp, err := evaluation.NewReplay(ms, framePeriod(d), jo)
	if err != nil {
		return usageError("%v", err)
	}
	threshold := ms.VAE.Threshold()
	counts := map[string]int{}
	for i := 0; i < d.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var line evaluation.Line
		if fr, err := d.Read(i); err != nil {
			line = evaluation.LineOf(rp.Unreadable(d.Stamp(i), err), d.Stamp(i), threshold)
		} else {
			line = evaluation.LineOf(rp.Frame(fr), fr.Head().Stamp, threshold)
		}
		line.Frame, line.Index = d.Name(i), i
		counts[line.Level]++
		if err := enc.Encode(line); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d frames scored to %s: OK %d, WARN %d, ERROR %d, STALE %d\n",
			d.Len(), *out, counts["OK"], counts["WARN"], counts["ERROR"], counts["STALE"])
	}
	return nil
}

// openModel reads and opens a bundle with a message fit for an operator.
func openModel(ctx context.Context, path string, want sensors.Kind) (*modelbundle.Models, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	ms, err := modelbundle.Open(ctx, data, want)
	if err != nil {
		if errors.Is(err, modelbundle.ErrKind) {
			return nil, fmt.Errorf("model %s: %w", path, err)
		}
		return nil, fmt.Errorf("model %s is not a usable model bundle (truncated, corrupt or not made by trustctl train): %w", path, err)
	}
	return ms, nil
}

// addJudgeFlags declares the daemon settings a replay takes, with the
// names of trustd's configuration keys.
func addJudgeFlags(fs *flag.FlagSet, jo *evaluation.JudgeOptions) {
	fs.DurationVar(&jo.StaleAfter, "stale-after", time.Second, "no frame for this long makes the stream STALE (as trustd's agent.stale_timeout)")
	fs.IntVar(&jo.Persistence.K, "enter-k", 0, "bad frames among the last N that enter ERROR (agent.enter_k; 0: default 3)")
	fs.IntVar(&jo.Persistence.N, "enter-n", 0, "window of frames for K (agent.enter_n; 0: default 5)")
	fs.IntVar(&jo.Persistence.M, "clear-m", 0, "clean frames in a row that leave ERROR (agent.clear_m; 0: default 10)")
	fs.IntVar(&jo.Persistence.WarnK, "warn-k", 0, "suspect frames among the last N that enter WARN (agent.warn_k; 0: default 2)")
	fs.IntVar(&jo.Persistence.SustainK, "sustain-k", 0, "frames with suspect content among the last sustain-n that enter ERROR (agent.sustain_k; 0: off)")
	fs.IntVar(&jo.Persistence.SustainN, "sustain-n", 0, "window of frames for sustain-k (agent.sustain_n; 0: default 50)")
}
