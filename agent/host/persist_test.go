package host

import (
	"testing"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/level"
)

func TestPersistence(t *testing.T) {
	p, err := NewPersistence(decision.Options{K: 2, N: 4, M: 3})
	if err != nil {
		t.Fatal(err)
	}
	warn := health.Result{Level: level.Warn, Reasons: []level.Reason{{Feature: "cpu_temp_c"}}}
	bad := health.Result{Level: level.Error, Reasons: []level.Reason{{Feature: "rss_mb"}}}
	ok := health.Result{}
	steps := []struct {
		in   health.Result
		flag Flag
		want level.Level
	}{
		{warn, FlagNone, level.OK},         // a lone spike
		{ok, FlagNone, level.OK},           //
		{ok, FlagNone, level.OK},           //
		{ok, FlagNone, level.OK},           // the spike has left the window
		{warn, FlagNone, level.OK},         //
		{warn, FlagNone, level.Warn},       // 2 of 4
		{bad, FlagNone, level.Warn},        //
		{bad, FlagNone, level.Error},       // 2 of 4 at ERROR
		{ok, FlagNone, level.Error},        // held until M calm samples
		{ok, FlagNone, level.Error},        //
		{ok, FlagNone, level.OK},           // 3 calm: back to what the window holds (1 warn in 4: OK)
		{ok, FlagUnderVoltage, level.Warn}, // a firmware flag needs no second sample
		{bad, FlagUnderVoltage, level.Error},
		{ok, FlagNone, level.Error},
		{ok, FlagNone, level.Error},
		{ok, FlagNone, level.OK}, // 3 calm: one bad sample left in the window
	}
	for i, s := range steps {
		if got := p.Next(s.in, s.flag); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
		if got := p.Level(); got != s.want {
			t.Fatalf("step %d: Level %v", i, got)
		}
	}
	p.Reset()
	if p.Next(ok, FlagThrottled); p.Level() != level.Warn || len(p.Reasons()) != 1 || p.Reasons()[0].Feature != "throttled" {
		t.Errorf("throttled with a calm model: %v %+v", p.Level(), p.Reasons())
	}
	if _, err := NewPersistence(decision.Options{K: 5, N: 2, M: 1}); err == nil {
		t.Error("K > N accepted")
	}
}
