package health

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
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

// TestNoiseStopsIdentity trains on three independent features and two
// copies of them: with noise the network must use the copies, so a vector
// whose copy disagrees scores far above normal.
func TestNoiseStopsIdentity(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows := make([][]float64, 2000)
	for i := range rows {
		a, b, c := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		rows[i] = []float64{a, b, c, a, b}
	}
	names := []string{"a", "b", "c", "a2", "b2"}
	m, _, err := Train(rows, names, TrainOptions{Noise: 0.5, Seed: 1, Scaling: ScaleRobust})
	if err != nil {
		t.Fatal(err)
	}
	normal, _ := m.ScoreFloat([]float64{1, -1, 0.5, 1, -1})
	broken, _ := m.ScoreFloat([]float64{1, -1, 0.5, -1, 1})
	if !(broken > 10*normal && broken > m.Warn) {
		t.Errorf("broken copy scores %.3g, normal %.3g, warn %.3g", broken, normal, m.Warn)
	}
}
