package agent

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// TestJudgeFlagsTornFrames: a camera whose frames carry rows of an older
// frame (rolling_tear) goes ERROR with reason torn_rows whatever the
// models say; the same drive clean does not, nor does the torn drive with
// the check off; a gap in the stream forgets the frames before it.
func TestJudgeFlagsTornFrames(t *testing.T) {
	g := newRig(t, rigOptions{camW: 160, camH: 120}).cam
	const n = 60
	for _, tc := range []struct {
		name      string
		torn, off bool
	}{
		{"clean", false, false},
		{"torn", true, false},
		{"torn, check off", true, true},
	} {
		fault := ""
		if tc.torn {
			fault = "rolling_tear"
		}
		tornFrames, errorFrames := 0, 0
		judgeInjected(t, g, JudgeOptions{Kind: sensors.KindCamera, NoTearCheck: tc.off}, fault, 2, n, func(i int, v Verdict) {
			// In ERROR the reasons are those of the latest bad frame; with
			// no model, the only content evidence is the check's.
			for _, r := range v.Reasons {
				switch {
				case r.Code == level.Torn && (r.Level != level.Error || r.Feature != "replayed_rows_frac" || !(r.Value > 0 && r.Value < 1)):
					t.Fatalf("%s: frame %d: reason %+v", tc.name, i, r)
				case r.Code != level.Torn && r.Level > level.OK:
					t.Fatalf("%s: frame %d: unexpected reason %+v", tc.name, i, r)
				}
			}
			if v.Bad {
				tornFrames++
			}
			if v.Level == level.Error {
				errorFrames++
				if len(v.Reasons) == 0 || v.Reasons[0].Code != level.Torn {
					t.Fatalf("%s: frame %d: ERROR for %v", tc.name, i, v.Reasons)
				}
			}
		})
		t.Logf("%s: %d of %d frames torn, %d in ERROR", tc.name, tornFrames, n, errorFrames)
		switch {
		case tc.torn && !tc.off && (tornFrames < n/3 || errorFrames == 0):
			t.Errorf("%s: %d frames torn, %d in ERROR; want ≥ %d torn and ERROR", tc.name, tornFrames, errorFrames, n/3)
		case (!tc.torn || tc.off) && (tornFrames != 0 || errorFrames != 0):
			t.Errorf("%s: %d frames torn, %d in ERROR; want none", tc.name, tornFrames, errorFrames)
		}
	}
}

// TestJudgeTearCheckForgetsAcrossGaps: a frame after the stream went
// STALE, or after an unreadable frame, is compared with nothing before
// it, by the torn-frame check as by the frozen-frame check.
func TestJudgeTearCheckForgetsAcrossGaps(t *testing.T) {
	g := newRig(t, rigOptions{camW: 160, camH: 120}).cam
	info := g.Info()
	frames := make([]*sensors.Image, 4)
	for i := range frames {
		frames[i] = g.Frame(uint64(i)).(*sensors.Image)
	}
	// Rows 10..49 of the frame two before, over the newest frame.
	torn := *frames[3]
	torn.Pix = append([]byte(nil), frames[3].Pix...)
	copy(torn.Pix[10*torn.Stride:50*torn.Stride], frames[1].Pix[10*torn.Stride:50*torn.Stride])
	for _, gap := range []string{"none", "stale", "unreadable"} {
		j, err := NewJudge(JudgeOptions{Kind: sensors.KindCamera, Period: info.Period})
		if err != nil {
			t.Fatal(err)
		}
		j.Start(t0)
		at := t0
		judge := func(im *sensors.Image) Verdict {
			at = at.Add(info.Period)
			c := *im
			c.Seq, c.Stamp, c.Received = c.Seq+1, at, at
			return j.Frame(&c, j.Observe(c.Header), 0)
		}
		for _, im := range frames[:3] {
			judge(im)
		}
		switch gap {
		case "stale":
			at = at.Add(2 * time.Second)
			j.Tick(at, j.TickInterval())
			if j.Level() != level.Stale {
				t.Fatalf("gap: %v, want STALE", j.Level())
			}
		case "unreadable":
			at = at.Add(info.Period)
			j.Observe(sensors.Header{Seq: 99, Stamp: at, Received: at})
			j.Unreadable(at, nil)
		}
		v := judge(&torn)
		found := false
		for _, r := range v.Reasons {
			found = found || r.Code == level.Torn
		}
		if found != (gap == "none") {
			t.Errorf("gap %s: torn_rows %v, reasons %v", gap, found, v.Reasons)
		}
	}
}

// TestJudgeFrozenImagesWithTearCheck: the frozen-frame check of a camera
// takes the torn-frame check's digest: a byte-identical image is frozen
// with the check on as off, an image with one pixel changed is not, and
// neither is an image whose stride padding alone changed.
func TestJudgeFrozenImagesWithTearCheck(t *testing.T) {
	g := newRig(t, rigOptions{camW: 64, camH: 48}).cam
	info := g.Info()
	base := g.Frame(0).(*sensors.Image)
	padded := &sensors.Image{Header: base.Header, Width: 64, Height: 48, Stride: 70, Format: base.Format, Pix: make([]byte, 48*70)}
	for y := range 48 {
		copy(padded.Pix[y*70:y*70+64], base.Pix[y*base.Stride:])
	}
	variant := func(change func(im *sensors.Image)) *sensors.Image {
		c := *padded
		c.Pix = append([]byte(nil), padded.Pix...)
		change(&c)
		return &c
	}
	for _, off := range []bool{false, true} {
		for _, tc := range []struct {
			name   string
			next   *sensors.Image
			frozen bool
		}{
			{"identical", variant(func(*sensors.Image) {}), true},
			{"one pixel changed", variant(func(im *sensors.Image) { im.Pix[20*70+30]++ }), false},
			{"padding changed", variant(func(im *sensors.Image) { im.Pix[20*70+66]++ }), !off},
		} {
			j, err := NewJudge(JudgeOptions{Kind: sensors.KindCamera, Period: info.Period, NoTearCheck: off})
			if err != nil {
				t.Fatal(err)
			}
			j.Start(t0)
			var v Verdict
			for i, im := range []*sensors.Image{padded, tc.next} {
				c := *im
				c.Seq, c.Stamp = uint64(i+1), t0.Add(time.Duration(i+1)*info.Period)
				c.Received = c.Stamp
				v = j.Frame(&c, j.Observe(c.Header), 0)
			}
			frozen := false
			for _, r := range v.Reasons {
				frozen = frozen || r.Code == level.Frozen
			}
			if frozen != tc.frozen {
				t.Errorf("tear check off %v, %s: frozen %v, want %v (%v)", off, tc.name, frozen, tc.frozen, v.Reasons)
			}
		}
	}
}

// judgeInjected judges n frames of a simulated sensor, with fault at sev
// injected into every frame (none when fault is ""), through a judge of
// options o without a model (o.Period is the sensor's), and hands each
// verdict to each before the next frame (the judge reuses its reasons).
func judgeInjected(t *testing.T, g simSensor, o JudgeOptions, fault string, sev, n int, each func(i int, v Verdict)) {
	t.Helper()
	judgeInjectedAfter(t, g, o, fault, sev, 0, n, each)
}

// simSensor is a simulated sensor as the judge tests drive it.
type simSensor interface {
	Info() sensors.Info
	Frame(uint64) sensors.Frame
}

// judgeInjectedAfter is judgeInjected with the fault injected from frame
// lead on: the first lead frames are clean.
func judgeInjectedAfter(t *testing.T, g simSensor, o JudgeOptions, fault string, sev, lead, n int, each func(i int, v Verdict)) {
	t.Helper()
	info := g.Info()
	o.Period = info.Period
	j, err := NewJudge(o)
	if err != nil {
		t.Fatal(err)
	}
	var inj faults.Injector
	if fault != "" {
		if inj, err = faults.New(o.Kind, faults.Config{Fault: fault, Severity: sev, Seed: 3}); err != nil {
			t.Fatal(err)
		}
	}
	j.Start(t0)
	for i := range n {
		f := g.Frame(uint64(i))
		if inj != nil && i >= lead {
			f = inj.Inject(f)[0]
		}
		h := f.Head()
		h.Seq = uint64(i + 1)
		h.Stamp = t0.Add(time.Duration(i+1) * info.Period)
		h.Received = h.Stamp
		each(i, j.Frame(f, j.Observe(*h), 0))
	}
}
