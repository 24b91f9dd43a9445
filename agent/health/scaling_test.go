package health

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRobustScalingIgnoresSpikes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rows := make([][]float64, 1000)
	for i := range rows {
		spiky := rng.NormFloat64()
		if i%50 == 0 {
			spiky = 1000 // a rare spike would widen the standard deviation to about 140
		}
		counter := 0.0
		if i%100 == 0 {
			counter = 3 // mostly zero: MAD is 0, the scale falls back to the std
		}
		rows[i] = []float64{spiky, counter, 7}
	}
	m := &Model{Names: []string{"a", "b", "c"}, Mean: make([]float64, 3), Std: make([]float64, 3)}
	robustScaling(m, rows)
	if math.Abs(m.Mean[0]) > 0.2 || m.Std[0] < 0.8 || m.Std[0] > 1.3 {
		t.Errorf("spiky feature: median %v scale %v, want about 0 and 1", m.Mean[0], m.Std[0])
	}
	if m.Mean[1] != 0 || m.Std[1] < 0.2 || m.Std[1] > 0.4 {
		t.Errorf("counter: median %v scale %v, want 0 and its std 0.3", m.Mean[1], m.Std[1])
	}
	if m.Mean[2] != 7 || m.Std[2] != scaleFloor(7) {
		t.Errorf("constant: %v %v, want 7 and the floor", m.Mean[2], m.Std[2])
	}
}

// TestExponentialTail checks the extrapolated quantile against the exact
// quantile of exponential scores: −ln(1 − q).
func TestExponentialTail(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := make([]float64, 2000)
	for i := range s {
		s[i] = rng.ExpFloat64()
	}
	slices.Sort(s)
	for _, q := range []float64{0.999, 1 - 1.0/86400} {
		want := -math.Log(1 - q)
		got := threshold(s, q, TailExponential)
		if math.Abs(got-want) > 0.15*want {
			t.Errorf("q=%v: %v, want %v ± 15%%", q, got, want)
		}
		if e := threshold(s, q, TailEmpirical); e > s[len(s)-1] || e < want/2 {
			t.Errorf("empirical q=%v: %v, want at most the largest score %v", q, e, s[len(s)-1])
		}
	}
	if got, want := threshold(s, 0.9, TailExponential), quantileSorted(s, 0.9); got != want {
		t.Errorf("q=0.9 within the block: %v, want the empirical %v", got, want)
	}
}

func TestTrainContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rows := make([][]float64, 100)
	for i := range rows {
		rows[i] = []float64{float64(i % 7), float64(i % 3)}
	}
	_, _, err := TrainContext(ctx, rows, []string{"a", "b"}, TrainOptions{Scaling: ScaleRobust})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", err)
	}
}
