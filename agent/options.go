package agent

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/streamcheck"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/transport"
)

// Options configure an Agent. Zero fields take the defaults given.
type Options struct {
	// Robot names the robot in topics and payloads (required).
	Robot string
	// Sensors, one entry per source (at least one).
	Sensors []SensorOptions
	// Reporter receives states, summaries and host health; nil reports
	// nothing (Status still works).
	Reporter Reporter
	// Sequencer numbers level changes per sensor (and "summary"); default an
	// in-memory counter starting at 1. The daemon passes an
	// outbox.Sequencer, whose numbers increase across restarts.
	Sequencer transport.Sequencer
	// Heartbeat re-publishes every state, the summary and the host health;
	// default 5 s. States and summaries expire after ExpiryHeartbeats of
	// them.
	Heartbeat time.Duration
	// Clock defaults to the system clock.
	Clock Clock
	// QueueLen is the per-sensor queue between driver and worker; when full
	// the oldest frame is dropped and counted. Default 4.
	QueueLen int
	// StaleTimeout: no frame for this long makes a sensor STALE. Default 1 s;
	// a sensor's Stream.StaleAfter overrides it.
	StaleTimeout time.Duration
	// ScoreBudget is the fraction of one core the scorers together may use
	// on average; above it frames are decimated (only every n-th scored).
	// Default 0.5.
	ScoreBudget float64
	// CleanHistory is how long scores judged clean are kept for
	// Recalibrate; default 30 min.
	CleanHistory time.Duration
	// RecalibrateQuantile of the clean scores is the floor of the new
	// threshold; default 0.995.
	RecalibrateQuantile float64
	// AlarmRate is the target rate of false entries into ERROR per hour of
	// clean stream that Recalibrate extrapolates the frame-score alarm to
	// (decision.AlarmTail); default decision.DefaultAlarmRate.
	AlarmRate float64
	// Host enables the host model when Host.Collector is set.
	Host HostOptions
	// Registerer receives the Prometheus collectors; nil registers nothing.
	// Collectors already registered by a previous Agent (a reload) are reused.
	Registerer prometheus.Registerer
	// Logger defaults to a disabled logger.
	Logger *zerolog.Logger
}

// SensorOptions configure one sensor.
type SensorOptions struct {
	Source sensors.Source // required
	// Period is the nominal frame period; default Source.Info().Period
	// (one of the two must be positive).
	Period time.Duration
	// Model is the sensor's scoring model; may be changed by SetModel.
	Model SensorModel
	// Decision persistence; zero fields default (3 of 5 to enter ERROR,
	// 10 clean frames to leave).
	Decision decision.Options
	// Stream timing checks; zero fields default (see package streamcheck),
	// StaleAfter from Options.StaleTimeout.
	Stream streamcheck.Options
	// NoConeCheck turns off the LiDAR ring geometry check (see
	// JudgeOptions).
	NoConeCheck bool
	// NoTearCheck turns off the camera torn-frame check (see
	// JudgeOptions).
	NoTearCheck bool
	// NoHoleCheck turns off the LiDAR surface hole check (see
	// JudgeOptions).
	NoHoleCheck bool
	// NoRingCheck turns off the LiDAR dark ring check (see
	// JudgeOptions).
	NoRingCheck bool
	// NoDirtCheck turns off the camera lens dirt check (see
	// JudgeOptions).
	NoDirtCheck bool
	// NoVeilCheck turns off the camera veil check (see JudgeOptions).
	NoVeilCheck bool
	// HardwareID for DiagnosticStatus.hardware_id; default
	// "<Info.Model> <Info.Address>".
	HardwareID string
}

// SensorModel is what judges a sensor's frames. Every part is optional: a
// sensor without a scorer is judged by its stream checks and health model.
type SensorModel struct {
	Scorer    Scorer
	Threshold float64 // frame score above it is a bad frame
	// WarnThreshold, when positive, is the frame score above which a frame
	// is suspect (WARN); 0: only Threshold counts.
	WarnThreshold float64
	// RiseLevel, when positive, is the rise of the frame score over the
	// stream's recent level (decision.Rise) that makes a frame bad
	// (score_rise): a fault that appears at once is caught below
	// Threshold. 0: no rise alarm.
	RiseLevel float64
	// RiseFrames is how many frames in a row the rise must hold
	// (decision.NewRise; 0: decision.RiseFrames). RiseLevel is calibrated
	// for it.
	RiseFrames int
	Health     *health.Model
	// ID and Version name the model bundle in the published state.
	ID, Version string
	// Coverage flags a model made from too little data (for instance
	// "too_little_data", "single_scene"); published with the state so that
	// a consumer knows the flag may cry wolf on a new scene.
	Coverage []string
}

// HostOptions configure the host model.
type HostOptions struct {
	// Collector samples the host; nil disables the host model. When its
	// options name no bus error counter, the agent installs the sum of its
	// sources' Counters().BusErrors.
	Collector host.Sampler
	// Model judges the host feature vector (host.Names()); nil publishes
	// the samples with level OK, or learns a model when Learner is set.
	Model *health.Model
	// Source says where Model came from (a host bundle: HostBundle);
	// published with the health.
	Source HostSource
	// Learner, when set and Model is nil, supplies a model learnt before
	// or learns one from the healthy samples (see HostLearner).
	Learner HostLearner
	// Persistence is the host's alarm rule (host.Persistence); zero takes
	// host.DefaultPersistence.
	Persistence decision.Options
	// Period between samples; default 1 s.
	Period time.Duration
	// ID and Version name the host model (Model, or the one there will be).
	ID, Version string
}

// ErrOptions is wrapped by New for invalid options.
var ErrOptions = errors.New("agent: invalid options")

func (o *Options) fill() {
	if o.Heartbeat == 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.Clock == nil {
		o.Clock = systemClock{}
	}
	if o.QueueLen == 0 {
		o.QueueLen = 4
	}
	if o.StaleTimeout == 0 {
		o.StaleTimeout = time.Second
	}
	if o.ScoreBudget == 0 {
		o.ScoreBudget = 0.5
	}
	if o.CleanHistory == 0 {
		o.CleanHistory = 30 * time.Minute
	}
	if o.RecalibrateQuantile == 0 {
		o.RecalibrateQuantile = 0.995
	}
	if o.AlarmRate == 0 {
		o.AlarmRate = decision.DefaultAlarmRate
	}
	if o.Host.Period == 0 {
		o.Host.Period = time.Second
	}
	if o.Logger == nil {
		l := zerolog.Nop()
		o.Logger = &l
	}
}

func (o *Options) validate() error {
	if err := transport.CheckName(o.Robot); err != nil {
		return fmt.Errorf("%w: robot: %w", ErrOptions, err)
	}
	switch {
	case len(o.Sensors) == 0:
		return fmt.Errorf("%w: no sensors", ErrOptions)
	case o.Heartbeat < 100*time.Millisecond:
		return fmt.Errorf("%w: heartbeat %v below 100ms", ErrOptions, o.Heartbeat)
	case o.QueueLen < 1 || o.QueueLen > 1024:
		return fmt.Errorf("%w: queue length %d outside 1..1024", ErrOptions, o.QueueLen)
	case o.StaleTimeout < 10*time.Millisecond:
		return fmt.Errorf("%w: stale timeout %v below 10ms", ErrOptions, o.StaleTimeout)
	case !(o.ScoreBudget > 0 && o.ScoreBudget <= 1):
		return fmt.Errorf("%w: score budget %v outside (0, 1]", ErrOptions, o.ScoreBudget)
	case o.CleanHistory < time.Minute || o.CleanHistory > 24*time.Hour:
		return fmt.Errorf("%w: clean history %v outside 1m..24h", ErrOptions, o.CleanHistory)
	case !(o.RecalibrateQuantile > 0.5 && o.RecalibrateQuantile <= 1):
		return fmt.Errorf("%w: recalibrate quantile %v outside (0.5, 1]", ErrOptions, o.RecalibrateQuantile)
	case !(o.AlarmRate > 0) || math.IsInf(o.AlarmRate, 0):
		return fmt.Errorf("%w: alarm rate %v per hour is not positive", ErrOptions, o.AlarmRate)
	case o.Host.Period < 100*time.Millisecond:
		return fmt.Errorf("%w: host period %v below 100ms", ErrOptions, o.Host.Period)
	}
	if o.Host.Model != nil && o.Host.Model.D() != len(host.Names()) {
		return fmt.Errorf("%w: host model has %d features, host vector %d", ErrOptions, o.Host.Model.D(), len(host.Names()))
	}
	seen := map[string]bool{}
	for i, s := range o.Sensors {
		if s.Source == nil {
			return fmt.Errorf("%w: sensor %d: no source", ErrOptions, i)
		}
		info := s.Source.Info()
		if err := transport.CheckName(info.Name); err != nil {
			return fmt.Errorf("%w: sensor %d: %w", ErrOptions, i, err)
		}
		if seen[info.Name] {
			return fmt.Errorf("%w: sensor name %q used twice", ErrOptions, info.Name)
		}
		seen[info.Name] = true
		if s.Period < 0 || (s.Period == 0 && info.Period <= 0) {
			return fmt.Errorf("%w: sensor %s: no nominal period (set Period or Info().Period)", ErrOptions, info.Name)
		}
		if err := checkModel(info, s.Model); err != nil {
			return err
		}
	}
	return nil
}

func checkModel(info sensors.Info, m SensorModel) error {
	if m.Scorer != nil && math.IsNaN(m.Threshold) {
		return fmt.Errorf("%w: sensor %s: threshold %v is not a number", ErrOptions, info.Name, m.Threshold)
	}
	return nil
}
