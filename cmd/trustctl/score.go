package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"os"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/agent/streamcheck"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
)

// scoreLine is one line of `trustctl score` output. The first six fields
// are the stable contract; the rest are extra detail.
type scoreLine struct {
	Frame     string         `json:"frame"`
	Score     float64        `json:"score"`
	Threshold float64        `json:"threshold"`
	Trusted   bool           `json:"trusted"`
	Level     string         `json:"level"`
	Reasons   []level.Reason `json:"reasons"`

	Index       int      `json:"index"`
	Stamp       string   `json:"stamp"`
	Health      *float64 `json:"health,omitempty"`
	Bad         bool     `json:"bad"`
	StaleBefore float64  `json:"stale_before_s,omitempty"`
	Error       string   `json:"error,omitempty"`
}

// cmdScore runs a recording through a model and the daemon's decision
// logic and writes one JSON object per frame.
func cmdScore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("score", stderr)
	model := fs.String("model", "", "model bundle (required)")
	in := fs.String("in", "", "directory of frames to score (required)")
	out := fs.String("out", "", "JSON-lines file to write (required; - for stdout)")
	jo := judgeOptions{}
	fs.DurationVar(&jo.staleAfter, "stale-after", time.Second, "no frame for this long makes the stream STALE (as trustd's stale_timeout)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: trustctl score --model MODEL --in DIR --out FILE.jsonl")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Scores every frame of DIR in file-name order through the model and trustd's")
		fmt.Fprintln(stderr, "decision logic (stream timing from timestamps.txt, frozen-frame check, health")
		fmt.Fprintln(stderr, "autoencoder, k-of-n persistence) and writes one JSON object per frame:")
		fmt.Fprintln(stderr, `  {"frame": "000000.png", "score": 1.3, "threshold": 9.8, "trusted": true, "level": "OK", "reasons": [], ...}`)
		fmt.Fprintln(stderr)
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
	d, err := openRecording(*in, sensors.KindUnknown, lidarModelFor(ms.VAE))
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
	j, err := newJudge(ms, framePeriod(d), jo)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for i := 0; i < d.Len(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var line scoreLine
		if fr, err := d.Read(i); err != nil {
			line = j.unreadable(d.Stamp(i), err)
		} else {
			line = j.frame(fr)
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

// lidarModelFor names the LiDAR whose ring ids a model's representation
// expects: a model whose rows are the sixteen VLP-16 elevations was
// trained on VLP-16 scans.
func lidarModelFor(m *likelihood.Model) string {
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

type judgeOptions struct {
	staleAfter time.Duration
}

// judge replays one stream through the same stages as a sensor pipe of
// the daemon (package agent): the timing checks at arrival, the 1 Hz
// frequency update and the stale check on the stream's own clock, the
// frozen-frame check, the health autoencoder, the fixed-point score and
// the k-of-n decision. Time is the frames' Received stamps (timestamps.txt),
// so a replay is exact and as fast as the scorer. Unlike the daemon it
// scores every frame (no time budget, no decimation).
type judge struct {
	checker    *streamcheck.Checker
	decider    *decision.Decider
	feats      *health.SensorFeatures
	eval       *health.Evaluator
	scorer     *likelihood.FixedScorer
	threshold  float64
	tick       time.Duration
	started    bool
	nextTick   time.Time
	nextUpdate time.Time
	lastUpdate []level.Reason
	hashSeed   maphash.Seed
	prevHash   uint64
	haveHash   bool
	fv         []float64
	staleFor   time.Duration
}

func newJudge(ms *modelbundle.Models, period time.Duration, o judgeOptions) (*judge, error) {
	so := streamcheck.Options{StaleAfter: o.staleAfter}
	chk, err := streamcheck.New(period, so)
	if err != nil {
		return nil, err
	}
	dec, err := decision.New(decision.Options{})
	if err != nil {
		return nil, err
	}
	feats, err := health.NewSensorFeatures(ms.VAE.Kind(), period)
	if err != nil {
		return nil, err
	}
	j := &judge{checker: chk, decider: dec, feats: feats, scorer: ms.VAE.NewFixedScorer(),
		threshold: ms.VAE.Threshold(), hashSeed: maphash.MakeSeed()}
	if ms.Health != nil {
		if err := ms.Health.Fits(feats.Names()); err != nil {
			return nil, err
		}
		j.eval = ms.Health.NewEvaluator()
	}
	j.tick = max(min(250*time.Millisecond, chk.Options().StaleAfter/4), 5*time.Millisecond)
	return j, nil
}

// advance runs the daemon's ticker up to t: the 1 Hz stream update and the
// stale check.
func (j *judge) advance(t time.Time) {
	for !j.nextTick.After(t) {
		now := j.nextTick
		if !now.Before(j.nextUpdate) {
			r := j.checker.Update(now)
			j.lastUpdate = j.lastUpdate[:0]
			for _, x := range r.Reasons {
				switch x.Code {
				case level.NoEvents, level.RateLow, level.RateHigh, level.NoDataUpdate:
					j.lastUpdate = append(j.lastUpdate, x)
				}
			}
			j.nextUpdate = j.nextUpdate.Add(time.Second)
			if j.nextUpdate.Before(now) {
				j.nextUpdate = now.Add(time.Second)
			}
		}
		if j.checker.Stale(now) && j.decider.Level() != level.Stale {
			silent := now.Sub(j.checker.LastReceived())
			j.decider.MarkStale(silent)
			j.staleFor = silent
			j.checker.Reset()
			j.feats.Reset()
			j.scorer.Reset()
			j.haveHash = false
			j.lastUpdate = j.lastUpdate[:0]
		}
		j.nextTick = j.nextTick.Add(j.tick)
	}
}

// frame judges one frame at its Received time.
func (j *judge) frame(f sensors.Frame) scoreLine {
	h := *f.Head()
	if h.Received.IsZero() {
		h.Received = h.Stamp
	}
	if !j.started {
		j.started = true
		j.checker.Start(h.Received)
		j.nextTick = h.Received.Add(j.tick)
		j.nextUpdate = h.Received.Add(time.Second)
	}
	j.advance(h.Received)
	line := scoreLine{Stamp: recorded.FormatStamp(h.Stamp), Threshold: j.threshold, Reasons: []level.Reason{}}
	if j.staleFor > 0 {
		line.StaleBefore = j.staleFor.Seconds()
		j.staleFor = 0
	}
	timing := j.checker.Observe(h)
	reasons := append([]level.Reason(nil), timing.Reasons...)

	hv := j.hash(f)
	if j.haveHash && hv == j.prevHash {
		reasons = append(reasons, level.Reason{Code: level.Frozen, Feature: "identical_to_previous", Value: 1, Level: level.Error})
	}
	j.prevHash, j.haveHash = hv, true

	fv, ferr := j.feats.Next(j.fv, f)
	j.fv = fv
	if ferr == nil && j.eval != nil {
		if r, err := j.eval.Evaluate(fv); err == nil {
			s := r.Score
			line.Health = &s
			reasons = append(reasons, r.Reasons...)
		}
	}
	in := decision.Input{Threshold: j.threshold}
	s, err := j.scorer.Score(f)
	if err != nil {
		line.Error = err.Error()
		reasons = append(reasons, level.Reason{Code: level.ScorerError, Feature: "score", Level: level.Warn})
		line.Score = math.MaxFloat64 // JSON has no infinity
	} else {
		in.Scored, in.Score = true, s
		line.Score = s
	}
	in.Reasons = append(reasons, j.lastUpdate...)
	st := j.decider.Frame(in)
	line.Level = st.Level.String()
	line.Trusted = st.Trusted
	if st.Reasons != nil {
		line.Reasons = st.Reasons
	}
	line.Bad = in.Scored && in.Score > in.Threshold
	for _, r := range in.Reasons {
		if r.Level == level.Error {
			line.Bad = true
		}
	}
	return line
}

// unreadable judges a frame whose file could not be decoded: in the
// daemon such a frame never leaves the driver; here it gets its line, as
// bad evidence (a sensor writing frames nobody can read is not to be
// trusted), with the highest score and the decoder's error.
func (j *judge) unreadable(stamp time.Time, ferr error) scoreLine {
	if !j.started {
		j.started = true
		j.checker.Start(stamp)
		j.nextTick = stamp.Add(j.tick)
		j.nextUpdate = stamp.Add(time.Second)
	}
	j.advance(stamp)
	line := scoreLine{Stamp: recorded.FormatStamp(stamp), Threshold: j.threshold, Score: math.MaxFloat64, Error: ferr.Error(), Bad: true}
	if j.staleFor > 0 {
		line.StaleBefore = j.staleFor.Seconds()
		j.staleFor = 0
	}
	j.haveHash = false
	in := decision.Input{Threshold: j.threshold, Reasons: append([]level.Reason{{Code: level.ScorerError, Feature: "unreadable_frame", Value: 1, Level: level.Error}}, j.lastUpdate...)}
	st := j.decider.Frame(in)
	line.Level, line.Trusted, line.Reasons = st.Level.String(), st.Trusted, st.Reasons
	if line.Reasons == nil {
		line.Reasons = []level.Reason{}
	}
	return line
}

// hash identifies a frame's payload, to spot byte-identical repeats (as the
// daemon does).
func (j *judge) hash(f sensors.Frame) uint64 {
	var h maphash.Hash
	h.SetSeed(j.hashSeed)
	switch fr := f.(type) {
	case *sensors.Image:
		h.Write(fr.Pix)
	case *sensors.Scan:
		var buf [16]byte
		for i := range fr.Points {
			pt := &fr.Points[i]
			le32(buf[0:], math.Float32bits(pt.X))
			le32(buf[4:], math.Float32bits(pt.Y))
			le32(buf[8:], math.Float32bits(pt.Z))
			le32(buf[12:], math.Float32bits(pt.Intensity))
			h.Write(buf[:])
		}
	}
	return h.Sum64()
}

func le32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
