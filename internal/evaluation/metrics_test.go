package evaluation

import (
	"strings"
	"testing"
	"time"
)

// testStream is a stream of frames 100 ms apart with the given levels and
// labels (nil for the clean recording); the fixed score is 10 at ERROR, else 1.
func testStream(dir string, levels string, labels []Label) *stream {
	s := &stream{dir: dir, scores: map[string][]float64{}}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, c := range levels {
		l := Line{Level: map[rune]string{'o': "OK", 'w': "WARN", 'E': "ERROR", 'S': "STALE"}[c]}
		score := 1.0
		if c == 'E' {
			score = 10
		}
		s.lines = append(s.lines, l)
		s.stamps = append(s.stamps, t0.Add(time.Duration(i)*100*time.Millisecond))
		s.scores[FixedLR] = append(s.scores[FixedLR], score)
	}
	s.labels = labels
	return s
}

// faultAt labels frames [from, to) with fault at severity 2, the rest clean.
func faultAt(n, from, to int, fault string) []Label {
	out := make([]Label, n)
	for i := range out {
		out[i] = Label{Fault: "none"}
		if i >= from && i < to {
			out[i] = Label{Fault: fault, Severity: 2, Altered: true}
		}
	}
	return out
}

func TestMetricsEpisodesAndAlarms(t *testing.T) {
	clean := testStream("clean", "ooooooooooEEoooooooo", nil)
	// fog from frame 5 to 10, ERROR three frames after its onset; then a
	// false alarm more than 20 frames after it ended.
	fog := testStream("fog", "ooooooooEEEEoooooooooooooooooooooEEoooooooo", faultAt(43, 5, 10, "fog"))
	// dust begins while the decision is already in ERROR: no latency.
	dust := testStream("dust", "ooooEEEEEEoooooooooo", faultAt(20, 6, 9, "dust"))
	res, err := metrics("m.bundle", "camera", 5, []*stream{clean, fog, dust}, []string{FixedLR}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Clean; c.Frames != 20 || c.FalseAlarms != 1 || c.Error != 0.1 || c.Flagged != 0.1 {
		t.Errorf("clean %+v", c)
	}
	if len(res.Groups) != 2 || res.Groups[0].Fault != "dust" || res.Groups[1].Fault != "fog" {
		t.Fatalf("groups %+v", res.Groups)
	}
	d, f := res.Groups[0], res.Groups[1]
	if d.PreAlarmed != 1 || d.Episodes != 0 || d.LatencyFrames != nil {
		t.Errorf("dust %+v", d)
	}
	if f.Episodes != 1 || f.Detected != 1 || f.LatencyFrames == nil || *f.LatencyFrames != 3 || f.Frames != 5 {
		t.Errorf("fog %+v", f)
	}
	if f.Error != 0.4 { // frames 8 and 9 of 5..9
		t.Errorf("fog ERROR fraction %v", f.Error)
	}
	// From the third frame of the episode, where 3 of 5 can first fire:
	// frames 8 and 9 of 7..9.
	if f.Decidable != 2.0/3 {
		t.Errorf("fog ERROR fraction from the rule's first chance %v, want 2/3", f.Decidable)
	}
	// One on fog's clean stretch after the fault, one in dust's lead-in.
	if res.StreamFalseAlarms != 2 || res.StreamCleanHours <= 0 {
		t.Errorf("stream false alarms %d over %v h", res.StreamFalseAlarms, res.StreamCleanHours)
	}
	if m := res.MeanAUROC["2"][FixedLR]; m != res.MeanAUROC["all"][FixedLR] {
		t.Errorf("mean AUROC %v", res.MeanAUROC)
	}
	if res.LatencyEpisodes != 1 || res.MedianLatency == nil || *res.MedianLatency != 3 {
		t.Errorf("median latency %v over %d episodes, want 3 over 1", res.MedianLatency, res.LatencyEpisodes)
	}
}

// TestMedianLatency: the median is over the episodes of severity 2 and 3,
// a missed one counting as never.
func TestMedianLatency(t *testing.T) {
	clean := testStream("clean", "oooooooooo", nil)
	at := func(sev int, ls []Label) []Label {
		for i := range ls {
			if ls[i].Fault != "none" {
				ls[i].Severity = sev
			}
		}
		return ls
	}
	fast := testStream("fast", "oooEEEoooo", faultAt(10, 2, 6, "fog"))         // latency 1
	slow := testStream("slow", "oooooEEooo", at(3, faultAt(10, 2, 6, "blur"))) // latency 3
	missed := testStream("missed", "oooooooooo", faultAt(10, 2, 6, "dust"))
	weak := testStream("weak", "oooooooooo", at(1, faultAt(10, 2, 6, "noise"))) // severity 1: not counted
	res, err := metrics("m", "camera", 5, []*stream{clean, fast, slow, missed, weak}, []string{FixedLR}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.LatencyEpisodes != 3 || res.MedianLatency == nil || *res.MedianLatency != 3 {
		t.Errorf("median latency %v over %d episodes, want 3 over 3", res.MedianLatency, res.LatencyEpisodes)
	}
	missed2 := testStream("missed2", "oooooooooo", faultAt(10, 2, 6, "snow"))
	if res, err = metrics("m", "camera", 5, []*stream{clean, fast, missed, missed2}, []string{FixedLR}, 3); err != nil {
		t.Fatal(err)
	}
	if res.LatencyEpisodes != 3 || res.MedianLatency != nil {
		t.Errorf("two of three missed: median latency %v over %d episodes, want none over 3", res.MedianLatency, res.LatencyEpisodes)
	}
}

func TestMetricsNoFaultFrames(t *testing.T) {
	clean := testStream("clean", "oooo", nil)
	none := testStream("none", "oooo", faultAt(4, 0, 0, "fog"))
	if _, err := metrics("m", "lidar", 1, []*stream{clean, none}, []string{FixedLR}, 3); err == nil || !strings.Contains(err.Error(), "no faulted frames") {
		t.Fatalf("err %v", err)
	}
}

func TestAlarmOnsets(t *testing.T) {
	lines := testStream("x", "EEoEoooEES", nil).lines
	if n := alarmOnsets(lines, nil); n != 3 {
		t.Errorf("onsets %d, want 3", n)
	}
	keep := []bool{false, false, false, true, true, true, true, false, false, false}
	if n := alarmOnsets(lines, keep); n != 1 {
		t.Errorf("kept onsets %d, want 1", n)
	}
	if f := errorFraction(lines, nil); f != 0.6 {
		t.Errorf("ERROR or STALE fraction %v, want 0.6", f)
	}
}

func TestTableRows(t *testing.T) {
	clean := testStream("clean", "oooooooooo", nil)
	fog := testStream("fog_s2", "ooooEEEEoo", faultAt(10, 2, 8, "fog"))
	res, err := metrics("dir/m.bundle", "camera", 5, []*stream{clean, fog}, []string{FixedLR}, 3)
	if err != nil {
		t.Fatal(err)
	}
	tbl := Table(res)
	if !strings.HasPrefix(tbl.Caption, "camera, model m.bundle:") {
		t.Errorf("caption %q", tbl.Caption)
	}
	want := [][]string{
		{"fog", "2", "6", "0.833", "1.000", "0.792", "66.7 %", "66.7 %", "2.0 (1/1)"},
		{"**mean**", "2", "", "**0.833**", "", "", "", "", ""},
		{"**mean**", "all", "", "**0.833**", "", "", "", "", ""},
		{"clean", "0", "10", "", "", "", "0.0 %", "0.0 %", "0.0 false alarms/h"},
	}
	if len(tbl.Rows) != len(want) {
		t.Fatalf("rows %q", tbl.Rows)
	}
	for i := range want {
		if strings.Join(tbl.Rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d: %q, want %q", i, tbl.Rows[i], want[i])
		}
	}
}
