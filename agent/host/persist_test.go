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
		want level.Level
	}{
		{warn, level.OK},   // a lone spike
		{ok, level.OK},     //
		{ok, level.OK},     //
		{ok, level.OK},     // the spike has left the window
		{warn, level.OK},   //
		{warn, level.Warn}, // 2 of 4
		{bad, level.Warn},  //
		{bad, level.Error}, // 2 of 4 at ERROR
		{ok, level.Error},  // held until M calm samples
		{ok, level.Error},  //
		{ok, level.OK},     // 3 calm: back to what the window holds (1 warn in 4: OK)
	}
	for i, s := range steps {
		if got := p.Next(s.in); got != s.want {
			t.Fatalf("step %d: %v, want %v", i, got, s.want)
		}
		if got := p.Level(); got != s.want {
			t.Fatalf("step %d: Level %v", i, got)
		}
	}
	if _, err := NewPersistence(decision.Options{K: 5, N: 2, M: 1}); err == nil {
		t.Error("K > N accepted")
	}
}
