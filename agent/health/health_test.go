package health

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// normalRows draws n rows of a 6-feature process with correlated features
// (a latent pair drives all six), like window statistics that move together.
func normalRows(n int, seed uint64) [][]float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([][]float64, n)
	for i := range rows {
		a, b := rng.NormFloat64(), rng.NormFloat64()
		rows[i] = []float64{
			10 + a,
			5 + 0.5*a + 0.1*rng.NormFloat64(),
			100 + 3*b,
			2*a - b + 0.1*rng.NormFloat64(),
			0.01 + 0.001*rng.NormFloat64(),
			b + 0.1*rng.NormFloat64(),
		}
	}
	return rows
}

var testNames = []string{"a", "half_a", "b", "mix", "small", "b2"}

type trainResult struct {
	m   *Model
	rep TrainReport
	err error
}

// trainOnce trains the shared test model once per test binary.
var trainOnce = sync.OnceValue(func() trainResult {
	m, rep, err := Train(normalRows(3000, 1), testNames, TrainOptions{ID: "test", Seed: 7, Epochs: 60})
	return trainResult{m, rep, err}
})

func trained(t testing.TB) *Model {
	t.Helper()
	r := trainOnce()
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.rep.CalibRows != 600 || r.rep.ValRows != 300 || r.rep.TrainRows != 2100 {
		t.Fatalf("split %+v", r.rep)
	}
	return r.m
}

func TestTrainDetectsBrokenCorrelation(t *testing.T) {
	m := trained(t)
	if !(m.Warn > 0 && m.Error >= m.Warn) {
		t.Fatalf("thresholds %v %v", m.Warn, m.Error)
	}
	ev := m.NewEvaluator()
	// Fresh normal data: the flagged fraction at ERROR stays small.
	flagged := 0
	test := normalRows(2000, 99)
	for _, x := range test {
		r, err := ev.Evaluate(x)
		if err != nil {
			t.Fatal(err)
		}
		if r.Level != 0 {
			flagged++
		}
	}
	if frac := float64(flagged) / float64(len(test)); frac > 0.03 {
		t.Errorf("%.3f of fresh normal vectors flagged (WARN at the 99th percentile)", frac)
	}
	// Each marginal is plausible, but half_a no longer follows a.
	x := []float64{11, 3.5, 100, 2, 0.01, 0}
	r, err := ev.Evaluate(x)
	if err != nil {
		t.Fatal(err)
	}
	if r.Level.String() != "ERROR" || len(r.Reasons) != TopReasons {
		t.Fatalf("broken correlation: %+v", r)
	}
	if r.Reasons[0].Feature != "half_a" && r.Reasons[0].Feature != "a" {
		t.Errorf("top reason %v, want half_a or a", r.Reasons)
	}
	if r.Reasons[0].Value != x[indexOf(testNames, r.Reasons[0].Feature)] {
		t.Errorf("reason value %v is not the natural-unit feature", r.Reasons[0])
	}
	// NaN features are imputed, not propagated.
	x = append([]float64(nil), test[0]...)
	x[4] = math.NaN()
	if s, err := ev.Score(x); err != nil || math.IsNaN(s) {
		t.Errorf("NaN feature: %v %v", s, err)
	}
	if _, err := ev.Score(x[:3]); !errors.Is(err, ErrModel) {
		t.Errorf("short vector: %v", err)
	}
}

func indexOf(ss []string, s string) int {
	for i, v := range ss {
		if v == s {
			return i
		}
	}
	return -1
}

// TestFixedMatchesFloat: on vectors whose activations stay within the Q10
// range (±32 standard deviations), the fixed-point score follows the float
// reference within 1 % relative plus 2e-4 absolute (each standardised value
// is rounded to 1/1024 at every layer). Far outside, the int16 activations
// saturate and the two scores part, but both stay far above the ERROR
// threshold, which is all the decision uses.
func TestFixedMatchesFloat(t *testing.T) {
	m := trained(t)
	ev := m.NewEvaluator()
	var worst float64
	for _, x := range normalRows(500, 5) {
		f, err := m.ScoreFloat(x)
		if err != nil {
			t.Fatal(err)
		}
		q, err := ev.Score(x)
		if err != nil {
			t.Fatal(err)
		}
		tol := 0.01*f + 2e-4
		if math.Abs(q-f) > tol {
			t.Errorf("x=%v: fixed %v float %v (tolerance %v)", x, q, f, tol)
		}
		worst = max(worst, math.Abs(q-f))
	}
	t.Logf("worst absolute fixed-vs-float difference on normal vectors %.2g (ERROR threshold %.3g)", worst, m.Error)
	for _, x := range [][]float64{{11, 3.5, 100, 2, 0.01, 0}, {30, 5, 80, 0, 0.5, 9}} {
		f, _ := m.ScoreFloat(x)
		q, _ := ev.Score(x)
		if f <= m.Error || q <= m.Error {
			t.Errorf("anomaly %v: fixed %v float %v, ERROR threshold %v", x, q, f, m.Error)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	m := trained(t)
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := UnmarshalModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if m2.ID != "test" || m2.Warn != m.Warn || m2.Error != m.Error || len(m2.Names) != 6 {
		t.Fatalf("round trip: %+v", m2)
	}
	e1, e2 := m.NewEvaluator(), m2.NewEvaluator()
	for _, x := range normalRows(50, 3) {
		s1, _ := e1.Score(x)
		s2, _ := e2.Score(x)
		if s1 != s2 {
			t.Fatalf("scores differ after round trip: %v %v", s1, s2)
		}
	}
	b[len(b)/2] ^= 1
	if _, err := UnmarshalModel(b); !errors.Is(err, ErrModel) {
		t.Errorf("corrupt model: %v", err)
	}
}

func TestTrainRejects(t *testing.T) {
	if _, _, err := Train(normalRows(10, 1), testNames, TrainOptions{}); err == nil {
		t.Error("too few rows accepted")
	}
	if _, _, err := Train(normalRows(100, 1), testNames[:3], TrainOptions{}); err == nil {
		t.Error("row width mismatch accepted")
	}
	if _, _, err := Train(normalRows(100, 1), testNames, TrainOptions{CalibFrac: 0.8}); err == nil {
		t.Error("bad split accepted")
	}
}

func TestCalibrate(t *testing.T) {
	m := trained(t)
	c, err := Calibrate(m, normalRows(1000, 11), 0.5, 0.9)
	if err != nil {
		t.Fatal(err)
	}
	if !(c.Warn < m.Warn && c.Warn <= c.Error) || m.Warn == c.Warn {
		t.Errorf("calibrate: old %v/%v new %v/%v", m.Warn, m.Error, c.Warn, c.Error)
	}
}

func FuzzUnmarshalModel(f *testing.F) {
	m, _, err := Train(normalRows(200, 1), testNames, TrainOptions{Seed: 1, Epochs: 2})
	if err != nil {
		f.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)-5])
	f.Add([]byte("TAHE"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := UnmarshalModel(data)
		if err != nil {
			if !errors.Is(err, ErrModel) {
				t.Fatalf("error does not wrap ErrModel: %v", err)
			}
			return
		}
		x := make([]float64, m.D())
		if _, err := m.NewEvaluator().Score(x); err != nil {
			t.Fatal(err)
		}
		if _, err := m.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestTrainIgnoresFeatures(t *testing.T) {
	names := []string{"a", "b", "latency"}
	rows := make([][]float64, 200)
	for i := range rows {
		// latency never moves in the training data (a recording).
		rows[i] = []float64{math.Sin(float64(i)), math.Cos(float64(i) / 3), 0}
	}
	m, _, err := Train(rows, names, TrainOptions{Seed: 1, Epochs: 5, Ignore: []string{"latency"}})
	if err != nil {
		t.Fatal(err)
	}
	ev := m.NewEvaluator()
	base, err := ev.Score([]float64{0.5, 0.5, 0})
	if err != nil {
		t.Fatal(err)
	}
	late, err := ev.Score([]float64{0.5, 0.5, 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if late != base {
		t.Errorf("an ignored feature changed the score: %v → %v", base, late)
	}
	if _, _, err := Train(rows, names, TrainOptions{Seed: 1, Epochs: 2, Ignore: []string{"nope"}}); err == nil {
		t.Error("unknown ignored feature accepted")
	}
	// Without Ignore the same movement stands out.
	m2, _, err := Train(rows, names, TrainOptions{Seed: 1, Epochs: 5})
	if err != nil {
		t.Fatal(err)
	}
	ev2 := m2.NewEvaluator()
	b2, _ := ev2.Score([]float64{0.5, 0.5, 0})
	l2, _ := ev2.Score([]float64{0.5, 0.5, 0.2})
	if !(l2 > 10*b2) {
		t.Errorf("without Ignore a moved constant feature should dominate: %v vs %v", b2, l2)
	}
}

// TestFits: a model is refused for a feature vector that differs in number,
// name or order, with the first difference named.
func TestFits(t *testing.T) {
	m := &Model{Names: []string{"a", "b", "c"}}
	if err := m.Fits([]string{"a", "b", "c"}); err != nil {
		t.Fatalf("same names: %v", err)
	}
	for _, tc := range []struct {
		names []string
		want  string
	}{
		{[]string{"a", "b"}, "3 features, this build computes 2"},
		{[]string{"a", "x", "c"}, `feature 1 is "b" in the model, "x" in this build`},
		{[]string{"a", "c", "b"}, `feature 1 is "b" in the model, "c" in this build`},
	} {
		err := m.Fits(tc.names)
		if !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Fits(%q) = %v, want ErrModel saying %q", tc.names, err, tc.want)
		}
	}
}

// TestTimingAloneWarns: an error above ERROR that the stream-timing
// features alone explain (one lost frame in a stream that never lost one
// in training) is a WARN; with the frame's own statistics abnormal too it
// stays an ERROR; and the same deviation of a feature that is not a
// timing one is an ERROR.
func TestTimingAloneWarns(t *testing.T) {
	names := slices.Clone(testNames)
	names[4] = "drop_frac" // nearly constant in training, as drops are
	m, _, err := Train(normalRows(3000, 1), names, TrainOptions{ID: "timing", Seed: 7, Epochs: 60})
	if err != nil {
		t.Fatal(err)
	}
	ev := m.NewEvaluator()
	lost := []float64{10, 5, 100, 0, 0.0625, 0} // normal but for the drop fraction
	r, err := ev.Evaluate(lost)
	if err != nil {
		t.Fatal(err)
	}
	if r.Score <= m.Error || r.Level.String() != "WARN" || len(r.Reasons) == 0 || r.Reasons[0].Feature != "drop_frac" {
		t.Fatalf("lost frame: score %v (ERROR above %v), %+v; want WARN for drop_frac", r.Score, m.Error, r)
	}
	for _, rs := range r.Reasons {
		if rs.Code != "health_warn" || rs.Level.String() != "WARN" {
			t.Errorf("lost frame: reason %+v", rs)
		}
	}
	broken := []float64{11, 3.5, 100, 2, 0.0625, 0} // and half_a no longer follows a
	if r, err := ev.Evaluate(broken); err != nil || r.Level.String() != "ERROR" || r.Reasons[0].Code != "health_error" {
		t.Errorf("lost frame and broken statistics: %+v, %v; want ERROR", r, err)
	}
	// The shared model's fifth feature is not a timing one.
	shared := trained(t).NewEvaluator()
	if r, err := shared.Evaluate(lost); err != nil || r.Level.String() != "ERROR" {
		t.Errorf("the same deviation of a statistic: %+v, %v; want ERROR", r, err)
	}
}
