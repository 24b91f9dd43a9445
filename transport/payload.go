package transport

import (
	"strconv"
	"time"
)

// SchemaVersion is the value of the "schema" field of every JSON payload.
// It changes only when a field changes meaning or disappears; new optional
// fields keep it.
const SchemaVersion = 1

// Level is a trust level as it appears on the wire.
type Level string

// Levels, in the order of ROS diagnostic_msgs/DiagnosticStatus.
const (
	LevelOK    Level = "OK"
	LevelWarn  Level = "WARN"
	LevelError Level = "ERROR"
	LevelStale Level = "STALE" // no data arrived in time; never a model verdict
)

// Code returns the DiagnosticStatus level byte: OK 0, WARN 1, ERROR 2,
// STALE 3; -1 for an unknown level.
func (l Level) Code() int {
	switch l {
	case LevelOK:
		return 0
	case LevelWarn:
		return 1
	case LevelError:
		return 2
	case LevelStale:
		return 3
	}
	return -1
}

// Valid reports whether l is one of the four levels.
func (l Level) Valid() bool { return l.Code() >= 0 }

// Cause says why a sensor or the robot is not OK.
type Cause string

// Causes. CauseNone is left out of the JSON.
const (
	CauseNone        Cause = ""
	CauseEnvironment Cause = "environment" // several sensors degrade together (weather, dust, glare)
	CauseSensor      Cause = "sensor"      // one sensor's data looks wrong to its models
	CauseStream      Cause = "stream"      // timing: rate, delay, gaps, order, no data
	CauseHost        Cause = "host"        // the computer the agent runs on
)

// Valid reports whether c is one of the causes (CauseNone included).
func (c Cause) Valid() bool {
	switch c {
	case CauseNone, CauseEnvironment, CauseSensor, CauseStream, CauseHost:
		return true
	}
	return false
}

// Reason is one machine-readable reason for a level: which check or model
// fired, on which feature, with what value.
type Reason struct {
	Code    string  `json:"code"`              // e.g. "likelihood_regret", "rate_low", "stale", "ae_feature"
	Feature string  `json:"feature,omitempty"` // feature name when the code concerns one, e.g. "no_return_frac"
	Value   float64 `json:"value"`             // the measured value (score, ratio, seconds, …)
}

// KeyValue is one entry of DiagnosticStatus.values.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Model names the model that judged the data.
type Model struct {
	ID      string `json:"id"`      // e.g. "vae-vlp16"
	Version string `json:"version"` // bundle version, e.g. "2026.11.1"
	// Coverage flags a model made from too little data: "too_little_data"
	// (under 10 minutes of stream), "single_scene". Such a model's flag
	// may cry wolf on a new scene until it is retrained or recalibrated on
	// more of the robot's own clean drive.
	Coverage []string `json:"coverage,omitempty"`
	// Source, on the host health only, says where the host model came
	// from: "bundle" (trained elsewhere and pushed as a signed host bundle)
	// or "learnt" (on this robot); absent while no model judges.
	Source string `json:"source,omitempty"`
}

// Window holds the statistics of the window the decision was made on.
// Durations are in the unit their name says; Features holds the health
// autoencoder's input features by name, in their natural units.
type Window struct {
	Seconds      float64            `json:"seconds"`        // window length
	Frames       uint64             `json:"frames"`         // frames in the window
	Drops        uint64             `json:"drops"`          // frames known lost in the window
	RateHz       float64            `json:"rate_hz"`        // measured frame rate
	LatencyP50MS float64            `json:"latency_p50_ms"` // stamp → received, median
	LatencyP95MS float64            `json:"latency_p95_ms"` // stamp → received, 95th percentile
	OutOfOrder   uint64             `json:"out_of_order"`   // frames whose stamp went backwards
	Features     map[string]float64 `json:"features,omitempty"`
}

// State is the trust state of one sensor, published retained on
// <prefix>/<sensor> on every level change and as a heartbeat.
type State struct {
	Schema     int        `json:"schema"`      // SchemaVersion
	Name       string     `json:"name"`        // DiagnosticStatus.name: "<robot>/<sensor>"
	Level      Level      `json:"level"`       // DiagnosticStatus.level as a word
	LevelCode  int        `json:"level_code"`  // DiagnosticStatus.level byte; set by Encode
	Message    string     `json:"message"`     // DiagnosticStatus.message: one line for humans
	HardwareID string     `json:"hardware_id"` // DiagnosticStatus.hardware_id: device model and address
	Values     []KeyValue `json:"values"`      // DiagnosticStatus.values; filled by Encode when empty

	Robot     string    `json:"robot"`
	Sensor    string    `json:"sensor"`
	Trusted   bool      `json:"trusted"`         // false for ERROR and STALE; consumers act on this
	Score     float64   `json:"score"`           // frame score (approximate likelihood regret), higher is worse
	Threshold float64   `json:"threshold"`       // score above which the frame is not trusted
	Cause     Cause     `json:"cause,omitempty"` // why not OK
	Reasons   []Reason  `json:"reasons"`         // most important first; empty when OK
	Window    Window    `json:"window"`
	Model     Model     `json:"model"`
	Seq       uint64    `json:"seq"`            // per-sensor level-change number, from a Sequencer
	Heartbeat bool      `json:"heartbeat"`      // true when this repeats the change numbered Seq
	Time      time.Time `json:"time"`           // when published (RFC 3339, ns)
	Expires   time.Time `json:"expires"`        // after it, consumers treat the sensor as STALE
	Stamp     time.Time `json:"stamp,omitzero"` // sensor stamp of the last frame judged; absent when none
}

// SensorLevel is one line of a Summary.
type SensorLevel struct {
	Sensor  string `json:"sensor"`
	Level   Level  `json:"level"`
	Trusted bool   `json:"trusted"`
	Cause   Cause  `json:"cause,omitempty"`
}

// Summary is the robot-level state, published retained on <prefix>/summary.
type Summary struct {
	Schema     int        `json:"schema"`
	Name       string     `json:"name"` // "<robot>/summary"
	Level      Level      `json:"level"`
	LevelCode  int        `json:"level_code"`
	Message    string     `json:"message"`
	HardwareID string     `json:"hardware_id"` // the robot
	Values     []KeyValue `json:"values"`

	Robot     string        `json:"robot"`
	Trusted   bool          `json:"trusted"` // every sensor trusted
	Cause     Cause         `json:"cause,omitempty"`
	Sensors   []SensorLevel `json:"sensors"`
	Seq       uint64        `json:"seq"`       // summary change number, from a Sequencer under the key "summary"
	Heartbeat bool          `json:"heartbeat"` // true when this repeats the change numbered Seq
	Time      time.Time     `json:"time"`
	Expires   time.Time     `json:"expires"` // after it, consumers treat the summary as STALE
}

// Host holds the host model's inputs; fields the platform cannot measure are zero.
type Host struct {
	CPUTempC       float64   `json:"cpu_temp_c"`
	Throttled      bool      `json:"throttled"`
	CPULoad        []float64 `json:"cpu_load"` // busy fraction per core, 0..1
	Load1          float64   `json:"load1"`
	MemUsedFrac    float64   `json:"mem_used_frac"`
	RSSBytes       uint64    `json:"rss_bytes"` // the agent's own
	GCPauseP99MS   float64   `json:"gc_pause_p99_ms"`
	BusErrors      uint64    `json:"bus_errors"`
	StateFreeBytes uint64    `json:"state_free_bytes"` // free space in the state directory
}

// Health is the host model's verdict, published retained on <prefix>/health.
type Health struct {
	Schema     int        `json:"schema"`
	Name       string     `json:"name"` // "<robot>/health"
	Level      Level      `json:"level"`
	LevelCode  int        `json:"level_code"`
	Message    string     `json:"message"`
	HardwareID string     `json:"hardware_id"` // host name
	Values     []KeyValue `json:"values"`

	Robot     string    `json:"robot"`
	Score     float64   `json:"score"`
	Threshold float64   `json:"threshold"`
	Reasons   []Reason  `json:"reasons"`
	Host      Host      `json:"host"`
	Model     Model     `json:"model"`
	Time      time.Time `json:"time"`
	Expires   time.Time `json:"expires"` // after it, consumers treat the host health as STALE
	// Phase is where the host model is: "off", "learning", "training" or
	// "judging"; absent from agents that do not learn.
	Phase string `json:"phase,omitempty"`
	// Learning says how far learning is, while learning or training.
	Learning *Learning `json:"learning,omitempty"`
}

// Learning is the progress of the host model's learning phase.
type Learning struct {
	Samples int    `json:"samples"`          // healthy samples kept
	Target  int    `json:"target"`           // samples training needs
	Paused  string `json:"paused,omitempty"` // why the latest sample was not learnt
}

// Status payloads, published retained on <prefix>/status: Online as the
// birth message after every connect, Offline as the last will and on a clean
// shutdown. Plain words, not JSON, as most dashboards expect.
const (
	StatusOnline  = "online"
	StatusOffline = "offline"
)

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
