package fixedpoint

import (
	"math"
	"testing"
)

func TestSmoke(t *testing.T) {
	for _, x := range []float64{-5, -1, 0, 0.5, 1, 3, 10} {
		got := FromQ(int64(Exp(ToQ(x, 16))), 16)
		if math.Abs(got-math.Exp(x)) > 1e-4*math.Max(1, math.Exp(x)) {
			t.Errorf("Exp(%v) = %v, want %v", x, got, math.Exp(x))
		}
	}
	for _, x := range []float64{0.001, 0.5, 1, 2, 1000} {
		q := ToQ(x, 16)
		x = FromQ(int64(q), 16)
		got := FromQ(int64(Log(q)), 16)
		if math.Abs(got-math.Log(x)) > 1e-3 {
			t.Errorf("Log(%v) = %v, want %v", x, got, math.Log(x))
		}
	}
	xs := []int32{ToQ(-3, 16), ToQ(-1, 16), ToQ(-2, 16)}
	want := math.Log(math.Exp(-3) + math.Exp(-1) + math.Exp(-2))
	if got := FromQ(int64(LogSumExp(xs)), 16); math.Abs(got-want) > 1e-4 {
		t.Errorf("LSE = %v want %v", got, want)
	}
	q, _ := NewRequant(0.3)
	if got := q.Apply(1000); got != 300 {
		t.Errorf("requant: %d", got)
	}
	if got := q.Apply64(-1000); got != -300 {
		t.Errorf("requant64: %d", got)
	}
	for _, x := range []float64{-20, -3, 0, 2, 20} {
		if got := FromQ(int64(Softplus(ToQ(x, 16))), 16); math.Abs(got-math.Log1p(math.Exp(x))) > 1e-4 {
			t.Errorf("softplus(%v)=%v", x, got)
		}
		if got := FromQ(int64(Sigmoid(ToQ(x, 16))), 16); math.Abs(got-1/(1+math.Exp(-x))) > 1e-4 {
			t.Errorf("sigmoid(%v)=%v", x, got)
		}
	}
}
