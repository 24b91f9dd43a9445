package likelihood

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestGradientFiniteDifference checks every analytic gradient of lossGrad
// against central differences on a small network.
func TestGradientFiniteDifference(t *testing.T) {
	const D, H1, L, H2 = 7, 5, 3, 4
	rng := rand.New(rand.NewPCG(1, 2))
	n := newNet(D, H1, L, H2)
	n.init(rng)
	for i := range n.P {
		n.P[i] += 0.1 * rng.NormFloat64() // biases away from 0, ReLUs mixed
	}
	for i := range n.LogVar {
		n.LogVar[i] = 0.3 * rng.NormFloat64()
	}
	x := make([]float64, D)
	w := make([]float64, D)
	for i := range x {
		x[i] = rng.NormFloat64()
		w[i] = 0.5 + rng.Float64()
	}
	a := newAct(n)
	for j := range a.eps {
		a.eps[j] = rng.NormFloat64()
	}
	eps := append([]float64(nil), a.eps...)
	const beta = 0.7
	dh1, dh2 := make([]float64, H1), make([]float64, H2)
	g := n.view(make([]float64, len(n.P)))
	n.lossGrad(g, a, x, w, beta, dh2, dh1)
	loss := func() float64 {
		copy(a.eps, eps)
		rec, kl := n.lossGrad(nil, a, x, w, beta, dh2, dh1)
		return rec + beta*kl
	}
	const h = 1e-6
	worst := 0.0
	for i := range n.P {
		old := n.P[i]
		n.P[i] = old + h
		fp := loss()
		n.P[i] = old - h
		fm := loss()
		n.P[i] = old
		num := (fp - fm) / (2 * h)
		err := math.Abs(num-g.P[i]) / math.Max(1, math.Abs(num))
		worst = math.Max(worst, err)
		if err > 1e-5 {
			t.Errorf("parameter %d: analytic %.8g, numeric %.8g", i, g.P[i], num)
		}
	}
	t.Logf("worst relative gradient error %.2g over %d parameters", worst, len(n.P))
}

// TestQuadFormMatchesDecoder checks the quadratic-form expansion against the
// full decoder: Σ Λ (x − x̂)² computed both ways.
func TestQuadFormMatchesDecoder(t *testing.T) {
	const D, H1, L, H2 = 30, 6, 3, 8
	rng := rand.New(rand.NewPCG(3, 4))
	n := newNet(D, H1, L, H2)
	n.init(rng)
	for i := range n.LogVar {
		n.LogVar[i] = rng.NormFloat64()
	}
	w := make([]float64, D)
	x := make([]float64, D)
	for i := range w {
		w[i] = 1 + float64(i%3)
		x[i] = rng.NormFloat64()
	}
	e := newFloatEngine(n, w, DefaultRefit())
	e.prepare(x)
	a := newAct(n)
	z := []float64{0.3, -1, 0.5}
	n.decodeHidden(a.a2, a.h2, z)
	n.decodeMean(a.xh, a.h2)
	var want float64
	for i := range x {
		d := x[i] - a.xh[i]
		want += w[i] * math.Exp(-n.LogVar[i]) * d * d
	}
	if got := e.quad(z); math.Abs(got-want) > 1e-9*math.Max(1, want) {
		t.Errorf("quad = %v, full decoder %v", got, want)
	}
}
