package likelihood

import (
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/fixedpoint"
)

// RefitConfig sets the approximated Likelihood Regret. The objective of the
// re-fit is the S-sample importance-weighted NLL itself, with the same S
// draws of ε in every evaluation of a frame (common random numbers), so
// LR = NLL(τ₀) − NLL(τ_K) ≥ 0 by construction. The decoder runs
// S·(1 + K·(Q+1)) times per frame, each run costing L·H2 + H2² multiply-
// accumulates at most through the quadratic form.
type RefitConfig struct {
	// Steps K of zeroth-order descent on τ = (μ, log σ²).
	Steps int
	// Directions Q: Rademacher directions per step (SPSA, one-sided).
	Directions int
	// Samples S: importance samples per NLL evaluation.
	Samples int
	// Smoothing c: perturbation size on τ (standardised latent units).
	Smoothing float64
	// Step a: largest coordinate change of one step; halved when a step
	// does not lower the loss.
	Step float64
	// Seed of the fixed random tables (ε, directions).
	Seed uint64
}

// DefaultRefit is the default approximated-LR configuration.
func DefaultRefit() RefitConfig {
	return RefitConfig{Steps: 6, Directions: 4, Samples: 4, Smoothing: 0.1, Step: 0.25, Seed: 1}
}

func (c RefitConfig) validate() error {
	if c.Steps < 0 || c.Steps > 1000 || c.Directions < 1 || c.Directions > 256 || c.Samples < 1 || c.Samples > 1024 ||
		!(c.Smoothing >= 2.0/one && c.Smoothing <= 4) || !(c.Step >= 2.0/one && c.Step <= 4) {
		return fmt.Errorf("likelihood: bad refit configuration %+v (smoothing and step must be ≥ 2 Q12 steps)", c)
	}
	return nil
}

// refitTables holds the fixed random numbers of the re-fit, drawn by an
// integer generator (fixedpoint.Rand) so that float and fixed scorers, and every architecture,
// use the same ones. Values are Q12.
type refitTables struct {
	eps  []int64 // S × L
	dirs []int8  // K × Q × 2L, ±1
}

func newRefitTables(c RefitConfig, L int) *refitTables {
	r := fixedpoint.NewRand(c.Seed)
	t := &refitTables{
		eps:  make([]int64, c.Samples*L),
		dirs: make([]int8, c.Steps*c.Directions*2*L),
	}
	// ε: Irwin–Hall normals (fixedpoint.Rand.Normal, Q16.16) rounded to Q12.
	for i := range t.eps {
		t.eps[i] = int64(fixedpoint.RoundShift32(r.Normal(), 16-fracBits))
	}
	r.FillRademacher(t.dirs)
	return t
}

// floatEngine evaluates the VAE through the quadratic form in float64; it
// backs the float scorers. Not safe for concurrent use.
type floatEngine struct {
	n    *net
	cfg  RefitConfig
	lam  []float64 // Λᵢ = ωᵢ·exp(−λᵢ)
	G    []float64 // H2×H2, W3ᵀΛW3
	c0   float64   // ½ Σ ωᵢ (λᵢ + log 2π)
	eps  []float64 // S × L
	dirs []int8
	// per frame
	u        []float64 // W3ᵀΛ(x − b3)
	cx       float64   // (x − b3)ᵀΛ(x − b3)
	act      *act
	h2, a2   []float64
	z        []float64
	tau, trl []float64 // 2L: μ then s
	pert, g  []float64
	lw       []float64
}

func newFloatEngine(n *net, w []float64, cfg RefitConfig) *floatEngine {
	e := &floatEngine{n: n, cfg: cfg, lam: make([]float64, n.D), G: make([]float64, n.H2*n.H2)}
	for i := 0; i < n.D; i++ {
		lv := decLogVar(n.LogVar[i])
		e.lam[i] = w[i] * math.Exp(-lv)
		e.c0 += 0.5 * w[i] * (lv + log2Pi)
	}
	for i := 0; i < n.D; i++ {
		row := n.W3[i*n.H2 : (i+1)*n.H2]
		for j := 0; j < n.H2; j++ {
			a := e.lam[i] * row[j]
			if a == 0 {
				continue
			}
			axpy(e.G[j*n.H2:(j+1)*n.H2], a, row)
		}
	}
	t := newRefitTables(cfg, n.L)
	e.eps = toFloat(t.eps)
	e.dirs = t.dirs
	e.u = make([]float64, n.H2)
	e.act = newAct(n)
	e.h2, e.a2, e.z = make([]float64, n.H2), make([]float64, n.H2), make([]float64, n.L)
	e.tau, e.trl, e.pert, e.g = make([]float64, 2*n.L), make([]float64, 2*n.L), make([]float64, 2*n.L), make([]float64, 2*n.L)
	e.lw = make([]float64, cfg.Samples)
	return e
}

func toFloat(q []int64) []float64 {
	f := make([]float64, len(q))
	for i, v := range q {
		f[i] = float64(v) / one
	}
	return f
}

// prepare runs the encoder on x and the per-frame terms of the quadratic
// form; τ is set to the encoder's posterior.
func (e *floatEngine) prepare(x []float64) {
	n := e.n
	n.encode(e.act, x)
	clear(e.u)
	e.cx = 0
	for i := 0; i < n.D; i++ {
		r := x[i] - n.B3[i]
		lr := e.lam[i] * r
		e.cx += lr * r
		axpy(e.u, lr, n.W3[i*n.H2:(i+1)*n.H2])
	}
	L := n.L
	copy(e.tau[:L], e.act.mu)
	for j := 0; j < L; j++ {
		e.tau[L+j] = math.Max(minLogVar, math.Min(maxLogVar, e.act.s[j]))
	}
}

// quad returns Σᵢ Λᵢ (xᵢ − x̂ᵢ(z))² = cx − 2uᵀh + hᵀGh, h = relu(W2 z + b2).
func (e *floatEngine) quad(z []float64) float64 {
	n := e.n
	n.decodeHidden(e.a2, e.h2, z)
	q := e.cx - 2*dot(e.u, e.h2)
	for j, hj := range e.h2 {
		if hj == 0 {
			continue
		}
		q += hj * dot(e.G[j*n.H2:(j+1)*n.H2], e.h2)
	}
	return q
}

// iwnll is the importance-weighted NLL at τ with the fixed samples
// (Burda et al. 2016, eq. 8), in nats, including all constants.
func (e *floatEngine) iwnll(tau []float64) float64 {
	L := e.n.L
	mu, s := tau[:L], tau[L:]
	S := e.cfg.Samples
	mx := math.Inf(-1)
	for k := 0; k < S; k++ {
		eps := e.eps[k*L : (k+1)*L]
		lw := 0.0
		for j := 0; j < L; j++ {
			z := mu[j] + math.Exp(0.5*s[j])*eps[j]
			e.z[j] = z
			// log p(z) − log q(z|x) without the 2π terms, which cancel.
			lw += -0.5*z*z + 0.5*eps[j]*eps[j] + 0.5*s[j]
		}
		lw -= 0.5 * e.quad(e.z)
		e.lw[k] = lw
		mx = math.Max(mx, lw)
	}
	var sum float64
	for _, v := range e.lw {
		sum += math.Exp(v - mx)
	}
	return -(mx + math.Log(sum/float64(S))) + e.c0
}

// refit runs the zeroth-order descent of the approximated LR on e.tau and
// returns NLL before minus NLL after.
//
// Each step k: f₀ = NLL(τ); for directions δ_q (fixed Rademacher table)
// g = Σ_q (NLL(τ + c·δ_q) − f₀)·δ_q; τ' = τ − a·g/max|g|; keep τ' if
// NLL(τ') < f₀, else halve a. ε is the same in every evaluation, so
// differences measure τ, not sampling noise.
func (e *floatEngine) refit() float64 {
	L2 := 2 * e.n.L
	a, c := e.cfg.Step, e.cfg.Smoothing
	f0 := e.iwnll(e.tau)
	before := f0
	Q := e.cfg.Directions
	for k := 0; k < e.cfg.Steps; k++ {
		clear(e.g)
		for q := 0; q < Q; q++ {
			d := e.dirs[(k*Q+q)*L2 : (k*Q+q+1)*L2]
			for j := range e.pert {
				e.pert[j] = e.tau[j] + c*float64(d[j])
			}
			e.clampS(e.pert)
			df := e.iwnll(e.pert) - f0
			for j := range e.g {
				e.g[j] += df * float64(d[j])
			}
		}
		gm := 0.0
		for _, v := range e.g {
			gm = math.Max(gm, math.Abs(v))
		}
		if gm == 0 {
			break
		}
		for j := range e.trl {
			e.trl[j] = e.tau[j] - a*e.g[j]/gm
		}
		e.clampS(e.trl)
		if f := e.iwnll(e.trl); f < f0 {
			copy(e.tau, e.trl)
			f0 = f
		} else {
			a /= 2
		}
	}
	return before - f0
}

func (e *floatEngine) clampS(tau []float64) {
	for j := e.n.L; j < len(tau); j++ {
		tau[j] = math.Max(minLogVar, math.Min(maxLogVar, tau[j]))
	}
}

// The Q12 bounds of the fixed engine must match the float ones.
var _ = [1]struct{}{}[int64(minLogVar*one)-minLogVarQ12+int64(maxLogVar*one)-maxLogVarQ12]
