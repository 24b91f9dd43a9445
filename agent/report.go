package agent

import (
	"context"
	"time"

	"github.com/sensortrust/trustagent/agent/fusion"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
)

// Reporter is the last stage: source → judge → reporter. It receives the
// agent's states (package transport/wire encodes them as the MQTT trust
// contract) and returns once it has taken responsibility for them. It is
// called from several goroutines and must be safe for concurrent use; one
// sensor's reports come in decision order. A report and what it points to
// are valid only during the call.
type Reporter interface {
	ReportSensor(ctx context.Context, r *SensorReport) error
	ReportSummary(ctx context.Context, r *SummaryReport) error
	ReportHealth(ctx context.Context, r *HealthReport) error
}

// SensorReport is one sensor's state: a level change, or a heartbeat.
type SensorReport struct {
	Robot, Sensor string
	HardwareID    string
	// Judge is what the sensor's judge knows now.
	Judge Snapshot
	// Model judging the sensor, and its coverage flags (SensorModel).
	ModelID, ModelVersion string
	ModelCoverage         []string
	Threshold             float64
	// Seq numbers the sensor's level changes; a heartbeat repeats the
	// latest.
	Seq       uint64
	Heartbeat bool
	Time      time.Time
	// Expires is when a consumer that has heard nothing newer must treat
	// the sensor as STALE: Time + ExpiryHeartbeats heartbeats.
	Expires time.Time
}

// ExpiryHeartbeats is how many heartbeat periods a reported sensor state or
// summary stays valid. The agent repeats every state each heartbeat, so a
// state expires only when the agent has stopped reporting (a crash, a power
// loss, a lost network); three, so that one late or lost heartbeat does not
// expire it.
const ExpiryHeartbeats = 3

// SummaryReport is the robot-level summary: a change of its level or
// cause, or a heartbeat.
type SummaryReport struct {
	Robot   string
	Summary fusion.Summary
	// Seq numbers the summary's changes; a heartbeat repeats the latest.
	Seq       uint64
	Heartbeat bool
	Time      time.Time
	Expires   time.Time // as SensorReport.Expires
}

// HealthReport is the host's health: its latest sample and, when a host
// model is loaded, its verdict.
type HealthReport struct {
	Robot  string
	Level  level.Level
	Sample host.Sample
	// Verdict of the host model, when HaveVerdict; Warn is its WARN
	// threshold.
	Verdict     health.Result
	HaveVerdict bool
	Warn        float64
	// Model judging the host, and where it came from ("" while none judges).
	ModelID, ModelVersion string
	ModelSource           HostSource
	Time                  time.Time
	// Phase says whether the host model is learning or judging; Detail
	// explains the level in words (learning progress, or the features that
	// drove the error in their units).
	Phase  HostPhase
	Detail string
	// Expires is as SensorReport.Expires: the health is published at
	// every change and heartbeat.
	Expires time.Time
}
