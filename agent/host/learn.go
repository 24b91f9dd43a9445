package host

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
)

// LearnOptions configure a Learner.
type LearnOptions struct {
	// Dir holds the sample log (samples.log) and the learnt model
	// (model.bin); required.
	Dir string
	// Samples is the number of healthy samples learning needs before
	// training; default 4 hours of Period. At least MinLearnSamples.
	Samples int
	// Period is the sampling period; default 1 s. It turns AlarmsPerDay
	// into a quantile.
	Period time.Duration
	// AlarmsPerDay is the target number of normal samples a day scoring
	// above WARN; ERROR aims at a tenth of it. Default 1.
	AlarmsPerDay float64
	// ID names the model; the training time is appended.
	ID string
	// MinDeviation is the root-mean-square reconstruction error, in
	// scales (at least the feature's resolution, see Resolutions), below
	// which no sample is WARN when the held-out block is too short to say
	// where its tail is (decision.Tail.Fitted false: fewer than a dozen
	// separate clean episodes, as in a learning phase of minutes): the
	// floor of the WARN threshold is then its square, of ERROR four times
	// that. A held-out block long enough to fit the tail sets the
	// thresholds at the alarm target alone. Default 1, or 2 when the
	// samples span less than TempBaseSpan: they have not seen the slow
	// wander of temperature and memory even once, so the scales learnt
	// from them fall short of the machine's.
	MinDeviation float64
	// Persistence is the alarm rule the thresholds are calibrated for;
	// zero takes DefaultPersistence.
	Persistence decision.Options
	// Train tunes training; its scaling is set here, and its quantile
	// thresholds are replaced by the calibration for the alarm rule.
	Train health.TrainOptions
}

// ErrRelearned is returned by Train when Reset was called while it trained:
// the model learnt from the forgotten samples is dropped.
var ErrRelearned = errors.New("host: learn: relearn asked during training; model dropped")

// MinLearnSamples is the fewest samples a Learner may be asked to learn from.
const MinLearnSamples = 100

func (o *LearnOptions) fill() {
	if o.Period == 0 {
		o.Period = time.Second
	}
	if o.Samples == 0 {
		o.Samples = int(4 * time.Hour / o.Period)
	}
	if o.AlarmsPerDay == 0 {
		o.AlarmsPerDay = 1
	}
	if o.ID == "" {
		o.ID = "host"
	}
	if o.Persistence == (decision.Options{}) {
		o.Persistence = DefaultPersistence()
	}
}

func (o *LearnOptions) validate() error {
	switch {
	case !(o.MinDeviation >= 0) || o.MinDeviation > 10: // 0 takes the default
		return fmt.Errorf("host: learn: minimum deviation %v outside (0, 10]", o.MinDeviation)
	case o.Period <= 0:
		return fmt.Errorf("host: learn: period %v", o.Period)
	case o.Samples < MinLearnSamples:
		return fmt.Errorf("host: learn: %d samples, want at least %d", o.Samples, MinLearnSamples)
	case !(o.AlarmsPerDay > 0) || float64(24*time.Hour/o.Period) <= o.AlarmsPerDay:
		return fmt.Errorf("host: learn: %v alarms a day at one sample per %v", o.AlarmsPerDay, o.Period)
	}
	if err := o.Persistence.WithDefaults().Validate(); err != nil {
		return fmt.Errorf("host: learn: %w", err)
	}
	return nil
}

// Learner keeps the healthy host samples of one machine in its state
// directory and trains that machine's host model from them (Borghesi et
// al.: one autoencoder per node, on the node's own normal behaviour). It is
// synchronous: the agent decides what is healthy and when to train, and
// runs Train on a goroutine of its own. Safe for concurrent use.
type Learner struct {
	opts LearnOptions

	mu    sync.Mutex
	log   *SampleLog // nil while the log cannot be opened (a full disk)
	model *health.Model
	row   []float64
	gen   uint64 // counts Resets, so a training that began before one is not stored
}

// OpenLearner opens (or starts) the learning state in opts.Dir and loads a
// model learnt before. A log that cannot be created (a full disk) is not an
// error: Add retries it and reports why it cannot learn.
func OpenLearner(opts LearnOptions) (*Learner, error) {
	opts.fill()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("host: learn: no directory")
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("host: learn: %w", err)
	}
	l := &Learner{opts: opts}
	b, err := os.ReadFile(l.modelPath())
	switch {
	case err == nil:
		m, err := health.UnmarshalModel(b)
		if err == nil {
			err = m.Fits(names)
		}
		if err != nil {
			return nil, fmt.Errorf("host: learnt model %s: %w (relearn the host model)", l.modelPath(), err)
		}
		l.model = m
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("host: learn: %w", err)
	}
	l.log, _ = OpenSampleLog(l.logPath(), len(names), opts.Samples)
	return l, nil
}

func (l *Learner) modelPath() string { return filepath.Join(l.opts.Dir, "model.bin") }
func (l *Learner) logPath() string   { return filepath.Join(l.opts.Dir, "samples.log") }

// Model returns the learnt model, nil while learning.
func (l *Learner) Model() *health.Model {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.model
}

// Progress says how far learning is: Have of Want healthy samples kept.
type Progress struct {
	Have, Want int
}

// Done reports whether there are enough samples to train.
func (p Progress) Done() bool { return p.Have >= p.Want }

// Progress returns how far learning is.
func (l *Learner) Progress() Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.progressLocked()
}

func (l *Learner) progressLocked() Progress {
	p := Progress{Want: l.opts.Samples}
	if l.log != nil {
		p.Have = l.log.Len()
	}
	return p
}

// Add keeps s as a healthy sample. The caller has checked it is one: no
// sensor and no deterministic flag (Sample.Flagged) said otherwise. An
// error (a full disk) means the sample was not kept; learning resumes with
// the next Add that succeeds.
func (l *Learner) Add(s Sample) (Progress, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		lg, err := OpenSampleLog(l.logPath(), len(names), l.opts.Samples)
		if err != nil {
			return l.progressLocked(), err
		}
		l.log = lg
	}
	l.row = s.Features(l.row)
	err := l.log.Append(s.Time, l.row)
	return l.progressLocked(), err
}

// Train fits the host model on the kept samples (robust scaling, the last
// fifth held out for the thresholds at the alarm target), stores it in Dir
// and returns it; from then on Model returns it. It may take seconds to
// minutes on a small board and stops when ctx is done.
func (l *Learner) Train(ctx context.Context) (*health.Model, health.TrainReport, error) {
	l.mu.Lock()
	var rows [][]float64
	if l.log != nil {
		rows, _ = l.log.Rows()
	}
	gen := l.gen
	l.mu.Unlock()
	m, rep, err := Train(ctx, rows, l.opts)
	if err != nil {
		return nil, rep, err
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return nil, rep, fmt.Errorf("host: learn: %w", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gen != gen {
		return nil, rep, ErrRelearned
	}
	if err := writeAtomic(l.modelPath(), b); err != nil {
		return nil, rep, fmt.Errorf("host: learn: store model: %w", err)
	}
	l.model = m
	return m, rep, nil
}

// Reset forgets the learnt model and the kept samples: learning starts
// over (the relearn-host command, or a machine whose normal changed).
func (l *Learner) Reset() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	var err error
	if l.log != nil {
		err = l.log.Close()
		l.log = nil
	}
	for _, p := range []string{l.modelPath(), l.logPath()} {
		if e := os.Remove(p); e != nil && !errors.Is(e, fs.ErrNotExist) {
			err = errors.Join(err, e)
		}
	}
	l.model = nil
	l.gen++
	if err != nil {
		return fmt.Errorf("host: relearn: %w", err)
	}
	l.log, _ = OpenSampleLog(l.logPath(), len(names), l.opts.Samples)
	return nil
}

// Close closes the sample log.
func (l *Learner) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.log == nil {
		return nil
	}
	err := l.log.Close()
	l.log = nil
	return err
}

// Train fits a host model to rows of healthy host vectors (Names order,
// oldest first) as a Learner does: robust scaling, denoising, and the
// thresholds calibrated on the held-out last block for the persistence
// rule at opts.AlarmsPerDay (WARN) and a tenth of it (ERROR), by the
// tail of its clean alarm episodes (decision.AlarmTail); a floor
// (MinDeviation) only stands in for a tail too short to fit. trustctl
// uses it on recorded sample logs.
func Train(ctx context.Context, rows [][]float64, opts LearnOptions) (*health.Model, health.TrainReport, error) {
	opts.fill()
	if err := opts.validate(); err != nil {
		return nil, health.TrainReport{}, err
	}
	o := opts.Train
	o.Scaling = health.ScaleRobust
	if o.MinScale == nil {
		o.MinScale = Resolutions()
	}
	if o.Noise == 0 {
		o.Noise = 0.5
	}
	o.ID = opts.ID + "-" + time.Now().UTC().Format("20060102T150405Z")
	m, rep, err := health.TrainContext(ctx, rows, names, o)
	if err != nil {
		return nil, rep, fmt.Errorf("host: learn: %w", err)
	}
	ev := m.NewEvaluator()
	cal := make([]float64, 0, rep.CalibRows)
	for _, x := range rows[len(rows)-rep.CalibRows:] {
		s, err := ev.Score(x)
		if err != nil {
			return nil, rep, fmt.Errorf("host: learn: %w", err)
		}
		cal = append(cal, s)
	}
	// The tail of a few hours of held-out samples extrapolates to a day
	// within about a factor of two (decision.AlarmTail), so it aims at
	// half the target, as the sensors' calibration does.
	perHour := opts.AlarmsPerDay / 24 / 2
	warn, err := decision.AlarmTail([][]float64{cal}, opts.Persistence, opts.Period, perHour)
	if err != nil {
		return nil, rep, fmt.Errorf("host: learn: calibrate: %w", err)
	}
	errT, err := decision.AlarmTail([][]float64{cal}, opts.Persistence, opts.Period, perHour/10)
	if err != nil {
		return nil, rep, fmt.Errorf("host: learn: calibrate: %w", err)
	}
	c := m.Clone()
	md := opts.MinDeviation
	if md == 0 {
		md = 1
		if time.Duration(len(rows))*opts.Period < TempBaseSpan {
			md = 2
		}
	}
	floor := md * md
	c.Warn, c.Error = warn.Threshold, errT.Threshold
	if !warn.Fitted {
		c.Warn = max(c.Warn, floor)
	}
	if !errT.Fitted {
		c.Error = max(c.Error, 4*floor)
	}
	c.Error = max(c.Warn, c.Error)
	return c, rep, nil
}

// writeAtomic replaces path with data: a reader sees the old file or the
// new one, also after a power cut.
func writeAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
