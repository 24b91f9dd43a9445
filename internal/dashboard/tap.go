package dashboard

import (
	"context"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/level"
)

// Tap is an agent.Reporter that shows the agent's level changes on the
// pages and forwards every report to the reporter it wraps.
type Tap struct {
	hub  *Hub
	next agent.Reporter
}

var _ agent.Reporter = (*Tap)(nil)

// Tap returns a reporter that forwards to next (nil: to nothing) and
// hands each sensor and summary change to the hub. It never blocks on the
// hub: a change the hub cannot take at once is lost to the pages (the next
// snapshot still shows the level), never delayed for the publisher.
func (h *Hub) Tap(next agent.Reporter) *Tap { return &Tap{hub: h, next: next} }

// ReportSensor implements agent.Reporter.
func (t *Tap) ReportSensor(ctx context.Context, r *agent.SensorReport) error {
	if !r.Heartbeat {
		st := r.Judge.State
		t.hub.notify(Change{
			Sensor: r.Sensor, Level: st.Level, Cause: st.Cause, Message: st.Message(),
			Reasons: append([]level.Reason(nil), st.Reasons...), Seq: r.Seq, Time: r.Time,
		})
	}
	if t.next == nil {
		return nil
	}
	return t.next.ReportSensor(ctx, r)
}

// ReportSummary implements agent.Reporter.
func (t *Tap) ReportSummary(ctx context.Context, r *agent.SummaryReport) error {
	if !r.Heartbeat {
		s := r.Summary
		t.hub.notify(Change{Level: s.Level, Cause: s.Cause, Message: s.Message, Seq: r.Seq, Time: r.Time})
	}
	if t.next == nil {
		return nil
	}
	return t.next.ReportSummary(ctx, r)
}

// ReportHealth implements agent.Reporter; the host's health reaches the
// pages with the snapshots.
func (t *Tap) ReportHealth(ctx context.Context, r *agent.HealthReport) error {
	if t.next == nil {
		return nil
	}
	return t.next.ReportHealth(ctx, r)
}
