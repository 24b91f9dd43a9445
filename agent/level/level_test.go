package level

import (
	"encoding/json"
	"math"
	"testing"
)

func TestLevelJSONRoundTrip(t *testing.T) {
	for _, l := range []Level{OK, Warn, Error, Stale} {
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var got Level
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got != l {
			t.Errorf("round trip %v: got %v via %s", l, got, b)
		}
	}
	if _, err := json.Marshal(Level(9)); err == nil {
		t.Error("invalid level marshalled")
	}
	var l Level
	if err := json.Unmarshal([]byte(`"BAD"`), &l); err == nil {
		t.Error("unknown level parsed")
	}
	if Level(7).String() != "Level(7)" {
		t.Error(Level(7).String())
	}
}

func TestReasonJSONNonFinite(t *testing.T) {
	b, err := json.Marshal(Reason{Code: ScoreHigh, Value: math.Inf(1), Level: Error})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"code":"score_high","value":0,"level":"ERROR"}` {
		t.Errorf("got %s", b)
	}
}

func TestWorseAndGroups(t *testing.T) {
	if Worse(OK, Warn) != Warn || Worse(Error, Warn) != Error || Worse(Error, Stale) != Stale {
		t.Error("Worse order")
	}
	if StaleCode.Group() != GroupStream || Frozen.Group() != GroupContent || Torn.Group() != GroupContent || Holes.Group() != GroupContent || DarkRing.Group() != GroupContent || Blank.Group() != GroupContent || LensDirt.Group() != GroupContent || Veil.Group() != GroupContent || HostWarn.Group() != GroupHost || Decimated.Group() != GroupInfo {
		t.Error("groups")
	}
}

func TestCauseOf(t *testing.T) {
	cases := []struct {
		rs   []Reason
		want Cause
	}{
		{nil, CauseNone},
		{[]Reason{{Code: Decimated, Level: Warn}}, CauseNone},
		{[]Reason{{Code: ScoreHigh, Level: Error}, {Code: RateLow, Level: Warn}}, CauseSensor},
		{[]Reason{{Code: ScoreHigh, Level: Error}, {Code: StampLate, Level: Error}}, CauseStream},
		{[]Reason{{Code: HostWarn, Level: Warn}}, CauseHost},
	}
	for _, c := range cases {
		if got := CauseOf(c.rs); got != c.want {
			t.Errorf("CauseOf(%v) = %q, want %q", c.rs, got, c.want)
		}
	}
}
