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
