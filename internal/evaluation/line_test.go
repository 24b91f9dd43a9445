package evaluation

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent"
)

// TestLineJSON pins the `trustctl score` line, a documented contract
// (docs/trustctl.md): field names, order and the encoding of an unscored
// frame.
func TestLineJSON(t *testing.T) {
	stamp := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	v := agent.Verdict{Scored: true, Score: 1.5, Bad: false}
	v.Level, v.Trusted = agent.LevelOK, true
	line := LineOf(v, stamp, 9.75)
	line.Frame, line.Index = "000007.png", 7
	b, err := json.Marshal(line)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"frame":"000007.png","score":1.5,"threshold":9.75,"trusted":true,"level":"OK","reasons":[],"index":7,"stamp":"` +
		line.Stamp + `","bad":false}`
	if string(b) != want {
		t.Fatalf("line\n%s\nwant\n%s", b, want)
	}

	u := agent.Verdict{ScoreErr: errors.New("short frame"), Bad: true}
	u.Level = agent.LevelError
	line = LineOf(u, stamp, 9.75)
	if line.Score != math.MaxFloat64 || line.Error != "short frame" || line.Reasons == nil || !line.Bad {
		t.Fatalf("unscored frame: %+v", line)
	}
	if _, err := json.Marshal(line); err != nil {
		t.Fatalf("unscored frame does not encode: %v", err)
	}
}

func TestJudgeEvidence(t *testing.T) {
	h := func(x float64) *float64 { return &x }
	const healthErr = 2.0
	// In the order the judge's evidence ranks them, least suspect first.
	ordered := []struct {
		name string
		line Line
	}{
		{"far below threshold", Line{Score: -40, Threshold: 20}},
		{"below threshold", Line{Score: 5, Threshold: 20, Health: h(0.2)}},
		{"health error near its ERROR level", Line{Score: 5, Threshold: 20, Health: h(1.8)}},
		{"score near threshold", Line{Score: 19.5, Threshold: 20, Health: h(0.2)}},
		{"not scored", Line{Score: math.MaxFloat64, Threshold: 20}},
		{"bad by a check, score low", Line{Score: 1, Threshold: 20, Bad: true}},
		{"bad by the score", Line{Score: 40, Threshold: 20, Bad: true}},
		{"bad, score far above", Line{Score: 4000, Threshold: 20, Bad: true}},
	}
	for i := 1; i < len(ordered); i++ {
		a, b := ordered[i-1], ordered[i]
		if ea, eb := judgeEvidence(a.line, healthErr), judgeEvidence(b.line, healthErr); !(ea < eb) {
			t.Errorf("%s (%v) does not rank below %s (%v)", a.name, ea, b.name, eb)
		}
	}
	// A health model that cannot raise ERROR adds nothing.
	low, high := Line{Score: 5, Threshold: 20, Health: h(0.1)}, Line{Score: 5, Threshold: 20, Health: h(100)}
	if judgeEvidence(low, math.Inf(1)) != judgeEvidence(high, math.Inf(1)) {
		t.Error("health error counted although the health model has no ERROR level")
	}
}
