package faults

import (
	"math"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

const period = 100 * time.Millisecond

func runStream(t *testing.T, name string, sev int, seed uint64, n int) (in, out []sensors.Frame) {
	t.Helper()
	in = rangeFrames(n, period)
	out, err := Apply(sensors.KindRange, Config{Fault: name, Severity: sev, Seed: seed, Period: period}, in)
	if err != nil {
		t.Fatal(err)
	}
	return in, out
}

func idx(f sensors.Frame) int { return int(f.(*sensors.Range).Distance) }

func TestTimestampJitter(t *testing.T) {
	for sev, k := range map[int]float64{1: 0.05, 2: 0.2, 3: 0.5} {
		in, out := runStream(t, "timestamp_jitter", sev, 1, 4000)
		var d []float64
		for _, f := range out {
			d = append(d, f.Head().Stamp.Sub(in[idx(f)].Head().Stamp).Seconds())
		}
		if m, sd := meanStd(d); math.Abs(sd-k*0.1) > 0.04*k*0.1 || math.Abs(m) > 0.1*k*0.1 {
			t.Errorf("severity %d: jitter mean %.4f s σ %.4f s, want 0 and %.4f", sev, m, sd, k*0.1)
		}
	}
	// without a configured period it is estimated from the stamps
	inj := mustNew(t, sensors.KindRange, "timestamp_jitter", 3, 1)
	var d []float64
	for _, f := range rangeFrames(3000, period) {
		o := inj.Inject(f)[0]
		d = append(d, o.Head().Stamp.Sub(f.Head().Stamp).Seconds())
	}
	if _, sd := meanStd(d[1:]); math.Abs(sd-0.05) > 0.003 {
		t.Errorf("estimated period: jitter σ %.4f, want 0.05", sd)
	}
}

func TestFrameDrops(t *testing.T) {
	for sev, p := range map[int]float64{1: 0.05, 2: 0.2, 3: 0.5} {
		_, out := runStream(t, "frame_drops", sev, 1, 10000)
		lost := 1 - float64(len(out))/10000
		if se := math.Sqrt(p * (1 - p) / 10000); math.Abs(lost-p) > 4*se {
			t.Errorf("severity %d: %.4f lost, want %.2f ± %.4f", sev, lost, p, 4*se)
		}
	}
	for sev, l := range map[int]int{1: 3, 2: 10, 3: 30} {
		_, out := runStream(t, "frame_drops_burst", sev, 1, 3000)
		bursts := 0
		for i := 1; i < len(out); i++ {
			gap := idx(out[i]) - idx(out[i-1]) - 1
			if gap != 0 && gap != l {
				t.Fatalf("severity %d: burst of %d, want %d", sev, gap, l)
			}
			if gap == l {
				bursts++
			}
		}
		if bursts < 3000/(5*l)/2 {
			t.Errorf("severity %d: only %d bursts in 3000 frames", sev, bursts)
		}
	}
}

func TestStampShifts(t *testing.T) {
	for name, want := range map[string][3]time.Duration{
		"latency":    {-50 * time.Millisecond, -200 * time.Millisecond, -time.Second},
		"clock_step": {2 * time.Second, 6 * time.Second, -1500 * time.Millisecond},
	} {
		for sev := 1; sev <= 3; sev++ {
			in, out := runStream(t, name, sev, 1, 20)
			if len(out) != 20 {
				t.Fatalf("%s %d: %d frames", name, sev, len(out))
			}
			for i, f := range out {
				if d := f.Head().Stamp.Sub(in[i].Head().Stamp); d != want[sev-1] {
					t.Fatalf("%s %d frame %d: shifted %v, want %v", name, sev, i, d, want[sev-1])
				}
			}
		}
	}
}

func TestStale(t *testing.T) {
	for sev, n := range map[int]int{1: 1, 2: 5, 3: 20} {
		in, out := runStream(t, "stale", sev, 1, 3*(n+1))
		for i, f := range out {
			src := (i / (n + 1)) * (n + 1)
			if idx(f) != src || !f.Head().Stamp.Equal(in[i].Head().Stamp) || f.Head().Seq != in[i].Head().Seq {
				t.Fatalf("severity %d frame %d: content of %d stamp %v, want content of %d with its own stamp", sev, i, idx(f), f.Head().Stamp, src)
			}
		}
	}
}

func TestOutOfOrder(t *testing.T) {
	for sev, p := range map[int]float64{1: 0.01, 2: 0.05, 3: 0.2} {
		_, out := runStream(t, "out_of_order", sev, 4, 20000)
		if len(out) != 20000 {
			t.Fatalf("severity %d: %d frames, want all 20000", sev, len(out))
		}
		swaps := 0
		for i := 1; i < len(out); i++ {
			if idx(out[i]) < idx(out[i-1]) {
				swaps++
				if idx(out[i]) != idx(out[i-1])-1 {
					t.Fatalf("severity %d: non-adjacent swap %d after %d", sev, idx(out[i]), idx(out[i-1]))
				}
			}
		}
		// a held frame is released after the next, which cannot be held:
		// the swap rate per frame is p/(1+p)
		rate := float64(swaps) / 20000
		want := p / (1 + p)
		if math.Abs(rate-want) > 4*math.Sqrt(want/20000) {
			t.Errorf("severity %d: %.4f swaps per frame, want %.4f", sev, rate, want)
		}
	}
}

func TestRateDrift(t *testing.T) {
	for sev, f := range map[int]float64{1: 0.95, 2: 0.85, 3: 0.5} {
		_, out := runStream(t, "rate_drift", sev, 1, 1000)
		if want := int(math.Round(f * 1000)); len(out) < want-1 || len(out) > want+1 {
			t.Errorf("severity %d: %d of 1000 frames delivered, want %d", sev, len(out), want)
		}
	}
}

func TestDisconnect(t *testing.T) {
	if _, out := runStream(t, "disconnect", 1, 1, 50); len(out) != 0 {
		t.Errorf("%d frames through a disconnect", len(out))
	}
}
