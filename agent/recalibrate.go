package agent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
)

// cleanRing keeps (time, score) of frames judged clean for the last span,
// in a fixed-size ring sized for span at the sensor's nominal rate (twice
// over, for sensors running fast), oldest overwritten first.
type cleanRing struct {
	at    []int64 // unix nanoseconds
	score []float32
	head  int
	n     int
}

func newCleanRing(span, period time.Duration) *cleanRing {
	n := int(2*span/period) + 1
	n = min(max(n, 16), 1<<20)
	return &cleanRing{at: make([]int64, n), score: make([]float32, n)}
}

func (r *cleanRing) add(t time.Time, s float64) {
	i := (r.head + r.n) % len(r.at)
	if r.n == len(r.at) {
		r.head = (r.head + 1) % len(r.at)
	} else {
		r.n++
	}
	r.at[i], r.score[i] = t.UnixNano(), float32(s)
}

// since returns the scores recorded at or after t, and the oldest time.
func (r *cleanRing) since(t time.Time) ([]float64, time.Time) {
	cut := t.UnixNano()
	var out []float64
	oldest := time.Time{}
	for k := 0; k < r.n; k++ {
		i := (r.head + k) % len(r.at)
		if r.at[i] >= cut {
			if oldest.IsZero() {
				oldest = time.Unix(0, r.at[i])
			}
			out = append(out, float64(r.score[i]))
		}
	}
	return out, oldest
}

// MinRecalibrateSamples is the fewest clean scores Recalibrate accepts.
const MinRecalibrateSamples = 100

// ErrTooFewSamples is returned (wrapped) by Recalibrate when the sensor has
// not judged enough frames clean in the requested span.
var ErrTooFewSamples = errors.New("agent: too few clean scores")

// ErrUnknownSensor is returned (wrapped) for a sensor name the agent does not have.
var ErrUnknownSensor = errors.New("agent: unknown sensor")

// Recalibration is the outcome of Recalibrate, ready for a command reply.
type Recalibration struct {
	Sensor       string  `json:"sensor"`
	OldThreshold float64 `json:"old_threshold"`
	NewThreshold float64 `json:"new_threshold"`
	Quantile     float64 `json:"quantile"`
	// QuantileValue is that quantile of the clean scores; Alarm is the
	// level at which the sensor's K-of-N rule enters ERROR AlarmRate times
	// per hour by the tail of the clean scores' episodes, never below
	// Silence, the lowest level at which it would not have entered ERROR
	// on them (decision.AlarmTail); Extrapolated is false when too few
	// episodes left Alarm at Silence. The new threshold is the larger of
	// QuantileValue and Alarm.
	QuantileValue float64   `json:"quantile_value"`
	Alarm         float64   `json:"alarm"`
	Silence       float64   `json:"silence"`
	AlarmRate     float64   `json:"alarm_rate"`
	Extrapolated  bool      `json:"extrapolated"`
	Samples       int       `json:"samples"`
	From          time.Time `json:"from"` // oldest score used
}

// Recalibrate sets a sensor's frame-score threshold from the scores of the
// frames it judged clean in the last span (at most Options.CleanHistory is
// kept): the larger of their Options.RecalibrateQuantile and the alarm
// level of the sensor's persistence rule on them, at which the K-of-N rule
// would not have entered ERROR over the span and enters it
// Options.AlarmRate times per hour by the extrapolated tail (see
// Calibrate). A frame counts as
// clean when the sensor was not in ERROR or STALE after it and nothing but
// its own score raised a reason: so single over-threshold frames count, and
// the new threshold is not biased low by the old one. The scorer and health
// model are unchanged.
func (a *Agent) Recalibrate(sensor string, span time.Duration) (Recalibration, error) {
	p := a.pipe(sensor)
	if p == nil {
		return Recalibration{}, fmt.Errorf("%w %q", ErrUnknownSensor, sensor)
	}
	if span <= 0 {
		return Recalibration{}, fmt.Errorf("agent: recalibrate %s: span %v must be positive", sensor, span)
	}
	p.mu.Lock()
	scores, from := p.clean.since(a.opts.Clock.Now().Add(-span))
	m := p.judge.Model()
	dec, _ := p.judge.Options()
	p.mu.Unlock()
	rc := Recalibration{Sensor: sensor, OldThreshold: m.Threshold, Quantile: a.opts.RecalibrateQuantile, Samples: len(scores), From: from}
	if m.Scorer == nil {
		return rc, fmt.Errorf("agent: recalibrate %s: the sensor has no scorer", sensor)
	}
	if len(scores) < MinRecalibrateSamples {
		return rc, fmt.Errorf("%w: %s has %d in the last %v, need %d", ErrTooFewSamples, sensor, len(scores), span, MinRecalibrateSamples)
	}
	tail, err := decision.AlarmTail([][]float64{scores}, dec, p.period, a.opts.AlarmRate)
	if err != nil {
		return rc, fmt.Errorf("agent: recalibrate %s: %w", sensor, err)
	}
	alarm := tail.Threshold
	rc.Silence, rc.AlarmRate, rc.Extrapolated = tail.Max, tail.Rate, tail.Fitted
	q := quantile(scores, a.opts.RecalibrateQuantile)
	v := max(q, alarm)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return rc, fmt.Errorf("agent: recalibrate %s: threshold is %v", sensor, v)
	}
	rc.QuantileValue, rc.Alarm = q, alarm
	rc.NewThreshold = v
	p.mu.Lock()
	// The model may have been swapped meanwhile: change only the threshold
	// of the one in use.
	next := p.judge.Model()
	next.Threshold = v
	err = p.judge.SetModel(next)
	p.mu.Unlock()
	if err != nil {
		return rc, fmt.Errorf("agent: recalibrate %s: %w", sensor, err)
	}
	p.m.threshold.Set(v)
	a.log.Info().Str("sensor", sensor).Float64("old", rc.OldThreshold).Float64("new", v).Int("samples", len(scores)).Msg("threshold recalibrated")
	return rc, nil
}
