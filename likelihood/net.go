package likelihood

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Bounds on the posterior log-variance s = log σ² the scorers use.
const (
	minLogVar = -10.0
	maxLogVar = 4.0
	// Decoder per-input log-variance bounds (standardised units).
	minDecLogVar = -6.0
	maxDecLogVar = 6.0
)

// net is the float VAE:
//
//	h1 = relu(W1·x + b1)           encoder hidden, H1
//	μ  = Wm·h1 + bm                posterior mean, L
//	s  = Wv·h1 + bv                posterior log-variance, L
//	z  = μ + exp(s/2)·ε
//	h2 = relu(W2·z + b2)           decoder hidden, H2
//	x̂  = W3·h2 + b3                decoder mean, D
//	log p(x|z) = −½ Σᵢ ωᵢ [(xᵢ − x̂ᵢ)² e^{−λᵢ} + λᵢ + log 2π]
//
// λ (per input, independent of z) and the linear last layer make the
// weighted squared error a quadratic form in h2 (see quadForm).
type net struct {
	D, H1, L, H2 int
	P            []float64 // all parameters; the slices below view it
	W1, B1       []float64
	Wm, Bm       []float64
	Wv, Bv       []float64
	W2, B2       []float64
	W3, B3       []float64
	LogVar       []float64
}

func paramCount(D, H1, L, H2 int) int {
	return H1*D + H1 + 2*(L*H1+L) + H2*L + H2 + D*H2 + D + D
}

func newNet(D, H1, L, H2 int) *net {
	n := &net{D: D, H1: H1, L: L, H2: H2}
	n.P = make([]float64, paramCount(D, H1, L, H2))
	n.bind()
	return n
}

// bind points the named slices into P.
func (n *net) bind() {
	p := n.P
	take := func(k int) []float64 {
		s := p[:k:k]
		p = p[k:]
		return s
	}
	n.W1, n.B1 = take(n.H1*n.D), take(n.H1)
	n.Wm, n.Bm = take(n.L*n.H1), take(n.L)
	n.Wv, n.Bv = take(n.L*n.H1), take(n.L)
	n.W2, n.B2 = take(n.H2*n.L), take(n.H2)
	n.W3, n.B3 = take(n.D*n.H2), take(n.D)
	n.LogVar = take(n.D)
}

// view returns a net whose slices view p (same shape as n).
func (n *net) view(p []float64) *net {
	v := &net{D: n.D, H1: n.H1, L: n.L, H2: n.H2, P: p}
	v.bind()
	return v
}

func (n *net) clone() *net {
	c := n.view(append([]float64(nil), n.P...))
	return c
}

func (n *net) check() error {
	if n.D < 1 || n.H1 < 1 || n.L < 1 || n.H2 < 1 || n.D > 1<<20 || n.H1 > 4096 || n.L > 256 || n.H2 > 4096 {
		return fmt.Errorf("likelihood: %w: network shape %d/%d/%d/%d", ErrBadModel, n.D, n.H1, n.L, n.H2)
	}
	if len(n.P) != paramCount(n.D, n.H1, n.L, n.H2) {
		return fmt.Errorf("likelihood: %w: %d parameters for shape %d/%d/%d/%d", ErrBadModel, len(n.P), n.D, n.H1, n.L, n.H2)
	}
	for _, v := range n.P {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("likelihood: %w: non-finite parameter", ErrBadModel)
		}
	}
	return nil
}

// init draws He-uniform weights and zero biases.
func (n *net) init(rng *rand.Rand) {
	fill := func(w []float64, fanIn int) {
		a := math.Sqrt(6 / float64(fanIn))
		for i := range w {
			w[i] = (2*rng.Float64() - 1) * a
		}
	}
	fill(n.W1, n.D)
	fill(n.Wm, n.H1)
	fill(n.Wv, n.H1)
	for i := range n.Wv {
		n.Wv[i] *= 0.1
	}
	fill(n.W2, n.L)
	fill(n.W3, n.H2)
	for i := range n.W3 {
		n.W3[i] *= 0.5
	}
}

// act holds one sample's activations.
type act struct {
	a1, h1, mu, s, eps, z, dz, a2, h2, xh []float64
}

func newAct(n *net) *act {
	return &act{
		a1: make([]float64, n.H1), h1: make([]float64, n.H1),
		mu: make([]float64, n.L), s: make([]float64, n.L), eps: make([]float64, n.L), z: make([]float64, n.L), dz: make([]float64, n.L),
		a2: make([]float64, n.H2), h2: make([]float64, n.H2), xh: make([]float64, n.D),
	}
}

// encode computes a1, h1, μ, s from x.
func (n *net) encode(a *act, x []float64) {
	for j := 0; j < n.H1; j++ {
		a.a1[j] = dot(n.W1[j*n.D:(j+1)*n.D], x) + n.B1[j]
		a.h1[j] = math.Max(a.a1[j], 0)
	}
	for j := 0; j < n.L; j++ {
		a.mu[j] = dot(n.Wm[j*n.H1:(j+1)*n.H1], a.h1) + n.Bm[j]
		a.s[j] = dot(n.Wv[j*n.H1:(j+1)*n.H1], a.h1) + n.Bv[j]
	}
}

// decodeHidden computes a2, h2 from z.
func (n *net) decodeHidden(a2, h2, z []float64) {
	for k := 0; k < n.H2; k++ {
		a2[k] = dot(n.W2[k*n.L:(k+1)*n.L], z) + n.B2[k]
		h2[k] = math.Max(a2[k], 0)
	}
}

// decodeMean computes x̂ from h2.
func (n *net) decodeMean(xh, h2 []float64) {
	for i := 0; i < n.D; i++ {
		xh[i] = dot(n.W3[i*n.H2:(i+1)*n.H2], h2) + n.B3[i]
	}
}

func decLogVar(v float64) float64 { return math.Max(minDecLogVar, math.Min(maxDecLogVar, v)) }

// lossGrad runs one sample forward and backward: loss = −log p(x|z) + β·KL
// with z = μ + exp(s/2)·ε (a.eps set by the caller). Gradients are added to
// g (a view of the parameter gradient, same shape as n). Returns the
// reconstruction term and KL separately.
func (n *net) lossGrad(g *net, a *act, x, w []float64, beta float64, dh2, dh1 []float64) (rec, kl float64) {
	n.encode(a, x)
	for j := 0; j < n.L; j++ {
		a.z[j] = a.mu[j] + math.Exp(0.5*a.s[j])*a.eps[j]
		kl += 0.5 * (a.mu[j]*a.mu[j] + math.Exp(a.s[j]) - a.s[j] - 1)
	}
	n.decodeHidden(a.a2, a.h2, a.z)
	n.decodeMean(a.xh, a.h2)
	clear(dh2)
	for i := 0; i < n.D; i++ {
		lv := decLogVar(n.LogVar[i])
		iv := math.Exp(-lv)
		r := x[i] - a.xh[i]
		rec += 0.5 * w[i] * (r*r*iv + lv + log2Pi)
		if g == nil {
			continue
		}
		if lv == n.LogVar[i] {
			g.LogVar[i] += 0.5 * w[i] * (1 - r*r*iv)
		}
		dx := -w[i] * r * iv
		g.B3[i] += dx
		row := n.W3[i*n.H2 : (i+1)*n.H2]
		grow := g.W3[i*n.H2 : (i+1)*n.H2]
		for k, h := range a.h2 {
			grow[k] += dx * h
			dh2[k] += dx * row[k]
		}
	}
	if g == nil {
		return rec, kl
	}
	dz := a.dz
	clear(dz)
	for k := 0; k < n.H2; k++ {
		if a.a2[k] <= 0 {
			continue
		}
		d := dh2[k]
		g.B2[k] += d
		for j := 0; j < n.L; j++ {
			g.W2[k*n.L+j] += d * a.z[j]
			dz[j] += d * n.W2[k*n.L+j]
		}
	}
	clear(dh1)
	for j := 0; j < n.L; j++ {
		sig := math.Exp(0.5 * a.s[j])
		dmu := dz[j] + beta*a.mu[j]
		ds := dz[j]*a.eps[j]*0.5*sig + beta*0.5*(math.Exp(a.s[j])-1)
		g.Bm[j] += dmu
		g.Bv[j] += ds
		for k := 0; k < n.H1; k++ {
			g.Wm[j*n.H1+k] += dmu * a.h1[k]
			g.Wv[j*n.H1+k] += ds * a.h1[k]
			dh1[k] += dmu*n.Wm[j*n.H1+k] + ds*n.Wv[j*n.H1+k]
		}
	}
	for k := 0; k < n.H1; k++ {
		if a.a1[k] <= 0 {
			continue
		}
		d := dh1[k]
		g.B1[k] += d
		axpy(g.W1[k*n.D:(k+1)*n.D], d, x)
	}
	return rec, kl
}

var log2Pi = math.Log(2 * math.Pi)

func dot(a, b []float64) float64 {
	var s0, s1, s2, s3 float64
	b = b[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// axpy: y += a·x.
func axpy(y []float64, a float64, x []float64) {
	x = x[:len(y)]
	for i := range y {
		y[i] += a * x[i]
	}
}
