package decision

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// enters reports how many times a fresh Decider per run enters ERROR on
// the scores at threshold th.
func enters(t *testing.T, runs [][]float64, o Options, th float64) int {
	t.Helper()
	n := 0
	for _, run := range runs {
		d, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range run {
			if st := d.Frame(Input{Scored: true, Score: s, Threshold: th}); st.Changed && st.Level == Error {
				n++
			}
		}
	}
	return n
}

func TestAlarmThresholdIsTheSilenceLevel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		o := Options{K: 1 + r.IntN(4), M: 1 + r.IntN(12)}
		o.N = o.K + r.IntN(5)
		var runs [][]float64
		for range 1 + r.IntN(3) {
			run := make([]float64, r.IntN(400))
			level := 0.0
			for i := range run {
				// Correlated scores with bursts, like a scene passing by.
				level = 0.9*level + r.NormFloat64()
				run[i] = level + 5*float64(r.IntN(50)/49)*r.Float64()
			}
			runs = append(runs, run)
		}
		th, err := AlarmThreshold(runs, o)
		if err != nil {
			if !errors.Is(err, ErrTooFewFrames) {
				t.Fatalf("trial %d: %v", trial, err)
			}
			continue
		}
		if got := enters(t, runs, o, th); got != 0 {
			t.Fatalf("trial %d (%+v): rule entered ERROR %d times at its alarm threshold %v", trial, o, got, th)
		}
		if got := enters(t, runs, o, math.Nextafter(th, math.Inf(-1))); got == 0 {
			t.Fatalf("trial %d (%+v): threshold %v is not the lowest silent one", trial, o, th)
		}
	}
}

func TestAlarmThresholdHandExample(t *testing.T) {
	// 3 of 5: the third largest of the window {9, 1, 8, 7, 0} is 7; the
	// isolated spike of 20 never has two companions.
	runs := [][]float64{{0, 9, 1, 8, 7, 0, 0, 0, 0, 20, 0, 0, 0}}
	th, err := AlarmThreshold(runs, Options{K: 3, N: 5})
	if err != nil || th != 7 {
		t.Fatalf("got %v, %v; want 7", th, err)
	}
}

func TestAlarmThresholdErrors(t *testing.T) {
	if _, err := AlarmThreshold([][]float64{{1, 2}}, Options{K: 3, N: 5}); !errors.Is(err, ErrTooFewFrames) {
		t.Errorf("two frames for 3 of 5: %v", err)
	}
	if _, err := AlarmThreshold(nil, Options{}); !errors.Is(err, ErrTooFewFrames) {
		t.Errorf("no runs: %v", err)
	}
	if _, err := AlarmThreshold([][]float64{{1, math.NaN(), 2, 3}}, Options{K: 1, N: 1}); err == nil {
		t.Error("NaN accepted")
	}
	if _, err := AlarmThreshold([][]float64{{1, 2, 3}}, Options{K: 4, N: 2}); !errors.Is(err, ErrOptions) {
		t.Errorf("bad options: %v", err)
	}
}
