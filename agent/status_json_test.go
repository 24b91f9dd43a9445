package agent

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
)

// TestStatusKeysSnakeCase: every key of /status, nested ones included, is
// snake_case, so that jq filters and dashboards need not guess.
func TestStatusKeysSnakeCase(t *testing.T) {
	features := map[string]float64{}
	for _, n := range host.Names() {
		features[n] = 1
	}
	st := Status{
		Robot: "r", Time: time.Unix(1, 0),
		Summary: SummaryStatus{Level: level.Warn, Cause: level.Cause("score"), Message: "m"},
		Sensors: []SensorStatus{{
			Name: "cam0", Kind: "camera", Cause: level.Cause("score"), Message: "m",
			Reasons: []level.Reason{{Code: level.HostWarn, Feature: "f", Value: 1, Level: level.Warn}},
			Model:   "m@1", LastFrame: time.Unix(1, 0), Counters: &sensors.Counters{Frames: 1}, SourceError: "e",
		}},
		Host: &HostStatus{Reasons: []level.Reason{{Code: level.HostWarn}}, Features: features},
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !snake.MatchString(k) {
					t.Errorf("/status key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", v)
	for _, want := range []string{"counters", "host", "reasons", "source_error", "last_frame"} {
		if !regexp.MustCompile(`"` + want + `"`).Match(b) {
			t.Errorf("test status lacks %q, so its keys went unchecked: %s", want, b)
		}
	}
}
