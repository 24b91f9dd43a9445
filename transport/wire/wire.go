package wire

import (
	"context"
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/transport"
)

// Publisher is the Publish half of transport.Publisher.
type Publisher interface {
	Publish(ctx context.Context, m transport.Message) error
}

// Reporter encodes reports for the topics of one robot and publishes them.
// It implements agent.Reporter.
type Reporter struct {
	topics transport.Topics
	pub    Publisher
}

// NewReporter returns a reporter publishing under prefix (see
// transport.NewTopics) to pub.
func NewReporter(prefix string, pub Publisher) (*Reporter, error) {
	t, err := transport.NewTopics(prefix)
	if err != nil {
		return nil, fmt.Errorf("wire: %w", err)
	}
	if pub == nil {
		return nil, fmt.Errorf("wire: no publisher")
	}
	return &Reporter{topics: t, pub: pub}, nil
}

// Topics returns the topics the reporter publishes on.
func (r *Reporter) Topics() transport.Topics { return r.topics }

var _ agent.Reporter = (*Reporter)(nil)

// ReportSensor publishes a sensor's state, retained.
func (r *Reporter) ReportSensor(ctx context.Context, sr *agent.SensorReport) error {
	m, err := r.topics.StateMessage(State(sr))
	if err != nil {
		return err
	}
	return r.pub.Publish(ctx, m)
}

// ReportSummary publishes the robot summary, retained.
func (r *Reporter) ReportSummary(ctx context.Context, sr *agent.SummaryReport) error {
	m, err := r.topics.SummaryMessage(Summary(sr))
	if err != nil {
		return err
	}
	return r.pub.Publish(ctx, m)
}

// ReportHealth publishes the host health.
func (r *Reporter) ReportHealth(ctx context.Context, hr *agent.HealthReport) error {
	m, err := r.topics.HealthMessage(Health(hr))
	if err != nil {
		return err
	}
	return r.pub.Publish(ctx, m)
}

// State is the wire payload of a sensor report.
func State(r *agent.SensorReport) *transport.State {
	sn := r.Judge
	st, w := sn.State, sn.Window
	return &transport.State{
		Level: Level(st.Level), Message: st.Message(), HardwareID: r.HardwareID,
		Robot: r.Robot, Sensor: r.Sensor, Trusted: st.Trusted,
		Score: finiteOr0(st.Score), Threshold: finiteOr0(r.Threshold), Cause: transport.Cause(st.Cause),
		Reasons: Reasons(st.Reasons),
		Window: transport.Window{
			Seconds: w.Span.Seconds(), Frames: uint64(w.Frames), Drops: w.Drops,
			RateHz: finiteOr0(w.RateHz), LatencyP50MS: float64(w.LatencyP50) / 1e6,
			LatencyP95MS: float64(w.LatencyP95) / 1e6, OutOfOrder: uint64(w.OutOfOrder),
			Features: sn.Features,
		},
		Model:     transport.Model{ID: r.ModelID, Version: r.ModelVersion, Coverage: r.ModelCoverage},
		Seq:       r.Seq,
		Heartbeat: r.Heartbeat,
		Time:      r.Time,
		Expires:   r.Expires,
		Stamp:     sn.Stamp,
	}
}

// Summary is the wire payload of a summary report.
func Summary(r *agent.SummaryReport) *transport.Summary {
	s := r.Summary
	ts := &transport.Summary{
		Level: Level(s.Level), Message: s.Message, Robot: r.Robot, Trusted: s.Trusted,
		Cause: transport.Cause(s.Cause), Seq: r.Seq, Heartbeat: r.Heartbeat, Time: r.Time, Expires: r.Expires,
	}
	for _, x := range s.Sensors {
		ts.Sensors = append(ts.Sensors, transport.SensorLevel{Sensor: x.Name, Level: Level(x.Level), Trusted: x.Trusted, Cause: transport.Cause(x.Cause)})
	}
	return ts
}

// Health is the wire payload of a host health report.
func Health(r *agent.HealthReport) *transport.Health {
	s := r.Sample
	h := &transport.Health{
		Level: Level(r.Level), Robot: r.Robot, Time: r.Time, Expires: r.Expires,
		Model:   transport.Model{ID: r.ModelID, Version: r.ModelVersion, Source: string(r.ModelSource)},
		Reasons: Reasons(r.Verdict.Reasons),
		Host: transport.Host{
			CPUTempC: finiteOr0(s.CPUTempC), Throttled: s.Throttled, CPULoad: s.CPUBusy, Load1: finiteOr0(s.Load1),
			MemUsedFrac: finiteOr0(s.MemUsedFrac), RSSBytes: s.RSSBytes, GCPauseP99MS: float64(s.GCPauseP99) / 1e6,
			BusErrors: s.BusErrors, StateFreeBytes: s.StateFreeBytes,
		},
		Message: "OK: host model has no verdict",
	}
	if r.HaveVerdict {
		h.Score, h.Threshold = finiteOr0(r.Verdict.Score), finiteOr0(r.Warn)
		h.Message = fmt.Sprintf("%s: host score %.3g (warn %.3g)", r.Level, r.Verdict.Score, r.Warn)
		if r.Detail != "" {
			h.Message += ": " + r.Detail
		} else if len(r.Verdict.Reasons) > 0 {
			h.Message += ", most unusual: " + r.Verdict.Reasons[0].Feature
		}
	}
	hostPhase(h, r)
	return h
}

// hostPhase adds the host model's phase: while learning, the message is
// the progress ("OK: learning: 1234 of 7200 samples").
func hostPhase(h *transport.Health, r *agent.HealthReport) {
	h.Phase = string(r.Phase.State)
	switch r.Phase.State {
	case agent.PhaseLearning, agent.PhaseTraining:
		h.Learning = &transport.Learning{Samples: r.Phase.Have, Target: r.Phase.Want, Paused: r.Phase.Paused}
		if !r.HaveVerdict {
			h.Message = fmt.Sprintf("%s: %s", r.Level, r.Detail)
		}
	}
}

// Level is the wire word of a level.
func Level(l level.Level) transport.Level { return transport.Level(l.String()) }

// Reasons are the wire reasons, non-finite values as 0 (JSON has no
// infinity).
func Reasons(rs []level.Reason) []transport.Reason {
	out := make([]transport.Reason, 0, len(rs))
	for _, r := range rs {
		out = append(out, transport.Reason{Code: string(r.Code), Feature: r.Feature, Value: finiteOr0(r.Value)})
	}
	return out
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
