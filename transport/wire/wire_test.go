package wire

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/fusion"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/internal/jsonschema"
	"github.com/sensortrust/trustagent/transport/transporttest"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func schema(t *testing.T, name string) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jsonschema.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// errorState is an ERROR decision as the judge makes it, with a score the
// JSON cannot hold.
func errorState(t *testing.T) decision.State {
	t.Helper()
	d, err := decision.New(decision.Options{K: 1, N: 1, M: 1})
	if err != nil {
		t.Fatal(err)
	}
	return d.Frame(decision.Input{Scored: true, Score: math.Inf(1), Threshold: 2,
		Reasons: []level.Reason{{Code: level.HealthError, Feature: "no_return_frac", Value: math.NaN(), Level: level.Error}}})
}

func TestReportsEncodeToTheContract(t *testing.T) {
	rec := &transporttest.Recorder{}
	r, err := NewReporter(transport.DefaultPrefix("r1"), rec)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st := errorState(t)
	sr := &agent.SensorReport{
		Robot: "r1", Sensor: "lidar0", HardwareID: "VLP-16 192.168.1.201",
		Judge: agent.Snapshot{State: st, Features: map[string]float64{"no_return_frac": 0.4},
			Window: health.WindowStats{Span: time.Second, Frames: 10, RateHz: 10}, Stamp: t0},
		ModelID: "lidar-default", ModelVersion: "3", ModelCoverage: []string{"too_little_data"}, Threshold: 2, Seq: 7, Time: t0, Expires: t0.Add(15 * time.Second),
	}
	if err := r.ReportSensor(ctx, sr); err != nil {
		t.Fatal(err)
	}
	sum := &agent.SummaryReport{Robot: "r1", Seq: 2, Time: t0, Expires: t0.Add(15 * time.Second), Summary: fusion.Summarize(
		[]fusion.Sensor{{Name: "lidar0", Kind: sensors.KindLidar, Level: st.Level, Trusted: st.Trusted, Cause: st.Cause}}, level.OK)}
	if err := r.ReportSummary(ctx, sum); err != nil {
		t.Fatal(err)
	}
	hr := &agent.HealthReport{Robot: "r1", Level: level.Warn, Time: t0, ModelID: "host", ModelVersion: "1",
		Sample:      host.Sample{CPUTempC: math.NaN(), RSSBytes: 40 << 20, MemUsedFrac: 0.3},
		Verdict:     health.Result{Score: 3, Level: level.Warn, Reasons: []level.Reason{{Code: level.HostWarn, Feature: "cpu_temp_c", Value: 81, Level: level.Warn}}},
		HaveVerdict: true, Warn: 2}
	if err := r.ReportHealth(ctx, hr); err != nil {
		t.Fatal(err)
	}

	msgs := rec.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d messages, want 3", len(msgs))
	}
	for i, c := range []struct {
		schema, topic string
		kind          transport.Kind
	}{
		{"trust-state.schema.json", "trust/v1/r1/lidar0", transport.KindState},
		{"trust-summary.schema.json", "trust/v1/r1/summary", transport.KindSummary},
		{"trust-health.schema.json", "trust/v1/r1/health", transport.KindHealth},
	} {
		m := msgs[i]
		if m.Topic != c.topic || m.Kind != c.kind {
			t.Errorf("message %d on %s (%v), want %s (%v)", i, m.Topic, m.Kind, c.topic, c.kind)
		}
		if errs := schema(t, c.schema).Validate(m.Payload); len(errs) > 0 {
			t.Errorf("%s: %v\n%s", c.topic, errs, m.Payload)
		}
	}
	var s transport.State
	if err := json.Unmarshal(msgs[0].Payload, &s); err != nil {
		t.Fatal(err)
	}
	if s.Level != transport.LevelError || s.Trusted || s.Seq != 7 || s.Heartbeat || s.Score != 0 ||
		s.Reasons[0].Code != "score_high" || s.Model.ID != "lidar-default" || s.Window.Features["no_return_frac"] != 0.4 ||
		!slices.Equal(s.Model.Coverage, []string{"too_little_data"}) {
		t.Errorf("state %+v", s)
	}
	if s.Message != st.Message() {
		t.Errorf("message %q, want the decision's %q", s.Message, st.Message())
	}
	if !s.Expires.Equal(sr.Expires) {
		t.Errorf("state expires %v, want %v", s.Expires, sr.Expires)
	}
	var ts transport.Summary
	if err := json.Unmarshal(msgs[1].Payload, &ts); err != nil {
		t.Fatal(err)
	}
	if !ts.Expires.Equal(sum.Expires) || ts.Seq != 2 || ts.Heartbeat {
		t.Errorf("summary %+v", ts)
	}

	// Heartbeats go out as heartbeats, so that a queue may coalesce them
	// but never a change.
	sr.Heartbeat, sum.Heartbeat = true, true
	if err := r.ReportSensor(ctx, sr); err != nil {
		t.Fatal(err)
	}
	if err := r.ReportSummary(ctx, sum); err != nil {
		t.Fatal(err)
	}
	msgs = rec.Messages()
	for _, m := range msgs[3:] {
		if m.Kind != transport.KindHeartbeat {
			t.Errorf("heartbeat on %s sent as %v", m.Topic, m.Kind)
		}
	}
}

func TestHealthSaysThePhase(t *testing.T) {
	h := Health(&agent.HealthReport{Robot: "r1", Level: level.OK, Time: t0, Expires: t0.Add(15 * time.Second), Detail: "learning: 1234 of 7200 samples",
		Phase: agent.HostPhase{State: agent.PhaseLearning, Have: 1234, Want: 7200}})
	if !h.Expires.Equal(t0.Add(15 * time.Second)) {
		t.Errorf("health expires %v", h.Expires)
	}
	if h.Phase != "learning" || h.Learning == nil || h.Learning.Samples != 1234 || h.Learning.Target != 7200 ||
		h.Message != "OK: learning: 1234 of 7200 samples" {
		t.Errorf("learning: %+v, %+v", h, h.Learning)
	}
	h = Health(&agent.HealthReport{Robot: "r1", Level: level.Warn, Time: t0, HaveVerdict: true, Warn: 1,
		Verdict: health.Result{Score: 3, Reasons: []level.Reason{{Code: level.HostWarn, Feature: "cpu_temp_c", Value: 81}}},
		Detail:  "CPU temperature 81.0 °C (normal 55.0 °C)", Phase: agent.HostPhase{State: agent.PhaseJudging}})
	if h.Phase != "judging" || h.Learning != nil || h.Message != "WARN: host score 3 (warn 1): CPU temperature 81.0 °C (normal 55.0 °C)" {
		t.Errorf("judging: %+v", h)
	}
}

func TestNewReporterRefusesBadPrefix(t *testing.T) {
	if _, err := NewReporter("trust/#", &transporttest.Recorder{}); err == nil {
		t.Error("wildcard prefix accepted")
	}
	if _, err := NewReporter("trust/v1/r1", nil); err == nil {
		t.Error("nil publisher accepted")
	}
}
