package agent

import (
	"fmt"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// Status is a snapshot of the agent for /status (JSON) and the live view.
type Status struct {
	Robot   string         `json:"robot"`
	Time    time.Time      `json:"time"`
	Summary SummaryStatus  `json:"summary"`
	Sensors []SensorStatus `json:"sensors"`
	Host    *HostStatus    `json:"host,omitempty"`
}

// SummaryStatus is the robot-level state.
type SummaryStatus struct {
	Level   level.Level `json:"level"`
	Trusted bool        `json:"trusted"`
	Cause   level.Cause `json:"cause,omitempty"`
	Message string      `json:"message"`
}

// SensorStatus is one sensor's state and counters.
type SensorStatus struct {
	Name        string         `json:"name"`
	Kind        string         `json:"kind"`
	Level       level.Level    `json:"level"`
	Trusted     bool           `json:"trusted"`
	Cause       level.Cause    `json:"cause,omitempty"`
	Message     string         `json:"message"`
	Reasons     []level.Reason `json:"reasons"`
	Score       float64        `json:"score"`
	Threshold   float64        `json:"threshold"`
	HealthScore float64        `json:"health_score"`
	HealthWarn  float64        `json:"health_warn"`
	Model       string         `json:"model,omitempty"`
	// ModelCoverage flags a model made from too little data (SensorModel).
	ModelCoverage []string          `json:"model_coverage,omitempty"`
	Frames        uint64            `json:"frames"`
	Scored        uint64            `json:"scored"`
	QueueDrops    uint64            `json:"queue_drops"`
	Decimation    int               `json:"decimation"` // every n-th frame scored
	RateHz        float64           `json:"rate_hz"`
	LatencyP95    float64           `json:"latency_p95_ms"`
	LastFrame     time.Time         `json:"last_frame,omitzero"`
	Seq           uint64            `json:"seq"`
	Counters      *sensors.Counters `json:"counters,omitempty"` // when the source counts
	SourceError   string            `json:"source_error,omitempty"`
	// DeviceError is the source's latest device failure (it stays after
	// the device recovers; the counters say whether frames flow).
	DeviceError string `json:"device_error,omitempty"`
}

// HostStatus is the host model's latest sample and verdict.
type HostStatus struct {
	Level    level.Level        `json:"level"`
	Score    float64            `json:"score"`
	Reasons  []level.Reason     `json:"reasons"`
	Features map[string]float64 `json:"features"`
	// Phase of the host model (learning, training, judging, off) and, in
	// words, its progress or what drove its level.
	Phase  PhaseState `json:"phase"`
	Detail string     `json:"detail,omitempty"`
	// Model names the host model that judges ("id@version", or the id of
	// a model learnt here) and Source where it came from: "bundle" (pushed
	// as a signed host bundle) or "learnt" (on this robot).
	Model  string     `json:"model,omitempty"`
	Source HostSource `json:"source,omitempty"`
}

// Status returns a snapshot. It is safe to call at any time.
func (a *Agent) Status() Status {
	st := Status{Robot: a.opts.Robot, Time: a.opts.Clock.Now()}
	a.sumMu.Lock()
	s := a.summary
	a.sumMu.Unlock()
	st.Summary = SummaryStatus{Level: s.Level, Trusted: s.Trusted, Cause: s.Cause, Message: s.Message}
	for _, p := range a.pipes {
		p.mu.Lock()
		sn, ms := p.judge.Snapshot(), p.judge.Model()
		ss := SensorStatus{
			Name: p.name, Kind: p.info.Kind.String(), Level: sn.State.Level, Trusted: sn.State.Trusted,
			Cause: sn.State.Cause, Message: sn.State.Message(), Reasons: append([]level.Reason{}, sn.State.Reasons...),
			Score: finiteOr0(sn.State.Score), Threshold: finiteOr0(ms.Threshold),
			Scored: sn.Scored, Decimation: sn.Decimation,
			RateHz: sn.Window.RateHz, LatencyP95: float64(sn.Window.LatencyP95) / 1e6,
			Seq: p.seq, SourceError: p.srcErr, DeviceError: p.devErr,
		}
		p.arriveMu.Lock()
		ss.Frames, ss.LastFrame = p.frames, p.lastRecv
		p.arriveMu.Unlock()
		if sn.HaveHealth {
			ss.HealthScore = sn.Health.Score
		}
		p.mu.Unlock()
		if ms.Health != nil {
			ss.HealthWarn = ms.Health.Warn
		}
		if ms.ID != "" {
			ss.Model = ms.ID + "@" + ms.Version
			ss.ModelCoverage = ms.Coverage
		}
		ss.QueueDrops = p.q.drops()
		if c, ok := p.src.(sensors.Counted); ok {
			cs := c.Counters()
			ss.Counters = &cs
		}
		st.Sensors = append(st.Sensors, ss)
	}
	if a.opts.Host.Collector != nil {
		a.hostMu.Lock()
		hs := &HostStatus{Level: a.hostLevel, Score: finiteOr0(a.hostRes.Score), Reasons: append([]level.Reason{}, a.hostRes.Reasons...), Features: map[string]float64{}}
		hs.Phase, hs.Detail = a.hostPhase.State, a.hostDetail()
		if hm := a.hostModel; hm.Model != nil {
			hs.Model, hs.Source = hm.ID, hm.Source
			if hm.Version != "" {
				hs.Model += "@" + hm.Version
			}
		}
		f := a.hostLast.Features(nil)
		a.hostMu.Unlock()
		for i, n := range host.Names() {
			if v := f[i]; v == v {
				hs.Features[n] = v
			}
		}
		st.Host = hs
	}
	return st
}

// Lines is the compact live view: one line per sensor (level, score vs
// threshold, cause, rate, drops) and one for the summary.
func (a *Agent) Lines() []string {
	st := a.Status()
	out := make([]string, 0, len(st.Sensors)+1)
	for _, s := range st.Sensors {
		cause := string(s.Cause)
		if cause == "" {
			cause = "-"
		}
		line := fmt.Sprintf("%-10s %-5s score %8.3g / %-8.3g cause %-11s %5.1f Hz  drops %d",
			s.Name, s.Level, s.Score, s.Threshold, cause, s.RateHz, s.QueueDrops)
		if s.Decimation > 1 {
			line += fmt.Sprintf("  scoring 1/%d", s.Decimation)
		}
		if s.Level != level.OK && len(s.Reasons) > 0 {
			line += "  " + s.Reasons[0].String()
		}
		out = append(out, line)
	}
	sum := fmt.Sprintf("%-10s %-5s %s", "summary", st.Summary.Level, st.Summary.Message)
	if st.Host != nil {
		sum += fmt.Sprintf("  host %s", st.Host.Level)
		if st.Host.Detail != "" {
			sum += " (" + st.Host.Detail + ")"
		}
	}
	return append(out, strings.TrimRight(sum, " "))
}
