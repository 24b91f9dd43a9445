package wire

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/transport/transporttest"
)

// TestHealthSchemaDescribesEveryHostFeature: every host feature a reason
// on <prefix>/health can name is listed and described by the schema (and
// nothing the build no longer computes), and a health message naming each
// one, as the reporter publishes it, validates.
func TestHealthSchemaDescribesEveryHostFeature(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "trust-health.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs struct {
			HostFeature struct {
				Description string   `json:"description"`
				Enum        []string `json:"enum"`
			} `json:"hostFeature"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	hf := doc.Defs.HostFeature
	if got, want := slices.Sorted(slices.Values(hf.Enum)), slices.Sorted(slices.Values(host.Names())); !slices.Equal(got, want) {
		t.Errorf("schema lists host features %v, the build computes %v", got, want)
	}
	for _, n := range host.Names() {
		if !strings.Contains(hf.Description, n+" ") {
			t.Errorf("schema does not describe host feature %s", n)
		}
	}

	rec := &transporttest.Recorder{}
	r, err := NewReporter("trust/v1/r1", rec)
	if err != nil {
		t.Fatal(err)
	}
	features := append(host.Names(), "made_up_feature")
	for _, f := range features {
		hr := &agent.HealthReport{Robot: "r1", Level: level.Warn, Time: t0, Expires: t0.Add(15e9), ModelID: "host", ModelVersion: "1", ModelSource: agent.HostBundle,
			Sample:      host.Sample{CPUTempC: 50, MemUsedFrac: 0.3},
			Verdict:     health.Result{Score: 3, Level: level.Warn, Reasons: []level.Reason{{Code: level.HostWarn, Feature: f, Value: 1, Level: level.Warn}}},
			HaveVerdict: true, Warn: 2, Phase: agent.HostPhase{State: agent.PhaseJudging}}
		if err := r.ReportHealth(context.Background(), hr); err != nil {
			t.Fatal(err)
		}
	}
	s := schema(t, "trust-health.schema.json")
	msgs := rec.Messages()
	if len(msgs) != len(features) {
		t.Fatalf("%d messages, want %d", len(msgs), len(features))
	}
	for i, m := range msgs {
		errs := s.Validate(m.Payload)
		if features[i] == "made_up_feature" {
			if len(errs) == 0 {
				t.Error("a reason naming an unknown feature validates")
			}
		} else if len(errs) > 0 {
			t.Errorf("reason %s: %v\n%s", features[i], errs, m.Payload)
		}
	}
}
