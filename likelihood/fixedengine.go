package likelihood

import "github.com/sensortrust/trustagent/fixedpoint"

// The fixed-point approximated Likelihood Regret. This file is the integer
// score path: no floating point, no allocation after newFixedEngine, the same
// bits on every GOARCH (TestScorePathIsIntegerOnly checks the first,
// BenchmarkFixedScore and the qemu runs the others). Values are Q12 int64
// unless said otherwise.

// fixedEngine holds a quantised network, the refit tables and scratch.
type fixedEngine struct {
	q          *qnet
	steps, dir int
	s          int   // importance samples
	c, a       int64 // smoothing and step, Q12
	eps        []int64
	dirs       []int8
	// scratch
	r        []int16
	h1       []int64
	u        []int64
	tau, trl []int64 // 2L: μ then s
	pert, g  []int64
	z, h     []int64
	sig      []int64
	nz       []int32
	lw       []int64
	rq2      []rowRequant // the decoder's first layer, per row
	after    int64        // NLL at τ_K left by regret, without its z-independent part
}

func newFixedEngine(q *qnet, cfg RefitConfig, t *refitTables, c, a int64) *fixedEngine {
	L := q.L
	e := &fixedEngine{
		q: q, steps: cfg.Steps, dir: cfg.Directions, s: cfg.Samples, c: c, a: a,
		eps: t.eps, dirs: t.dirs,
		r: make([]int16, q.D), h1: make([]int64, q.H1), u: make([]int64, q.H2),
		tau: make([]int64, 2*L), trl: make([]int64, 2*L), pert: make([]int64, 2*L), g: make([]int64, 2*L),
		z: make([]int64, L), h: make([]int64, q.H2), sig: make([]int64, L), nz: make([]int32, q.H2),
		lw: make([]int64, cfg.Samples), rq2: make([]rowRequant, q.H2),
	}
	for k := range e.rq2 {
		e.rq2[k] = newRowRequant(q.M2[k], q.S2[k], q.B2[k])
	}
	return e
}

func clampAct(v int64) int64 {
	if v > actClamp {
		return actClamp
	}
	if v < -actClamp {
		return -actClamp
	}
	return v
}

// Bounds of log σ² in Q12 (minLogVar, maxLogVar).
const (
	minLogVarQ12 = -10 * one
	maxLogVarQ12 = 4 * one
)

func clampS(v int64) int64 {
	const lo, hi = minLogVarQ12, maxLogVarQ12
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// prepare runs the encoder and the per-frame linear term on the int16 Q11
// input (|in[i]| ≤ inputMax) and sets τ to the encoder's posterior.
func (e *fixedEngine) prepare(in []int16) {
	q := e.q
	D := q.D
	for j := 0; j < q.H1; j++ {
		acc := fixedpoint.DotI16(q.W1[j*D:(j+1)*D], in)
		v := requant(acc, int64(q.M1[j]), int(q.S1[j])) + q.B1[j]
		if v < 0 {
			v = 0
		}
		e.h1[j] = clampAct(v)
	}
	L := q.L
	for j := 0; j < L; j++ {
		mu := requant(fixedpoint.DotI16I64(q.Wm[j*q.H1:(j+1)*q.H1], e.h1), int64(q.Mm[j]), int(q.Sm[j])) + q.Bm[j]
		s := requant(fixedpoint.DotI16I64(q.Wv[j*q.H1:(j+1)*q.H1], e.h1), int64(q.Mv[j]), int(q.Sv[j])) + q.Bv[j]
		e.tau[j] = clampAct(mu)
		e.tau[L+j] = clampS(s)
	}
	r, b3 := e.r[:D], q.B3[:D]
	in = in[:D]
	for i := range r {
		r[i] = in[i] - b3[i] // |·| ≤ 2·inputMax < 2^15
	}
	for j := 0; j < q.H2; j++ {
		e.u[j] = requant(fixedpoint.DotI16(q.Wt[j*D:(j+1)*D], e.r), int64(q.Mt[j]), int(q.St[j]))
	}
}

// quad returns Σᵢ Λᵢ(xᵢ − x̂ᵢ(z))² minus its z-independent part, in Q12:
// hᵀGh − 2uᵀh with h = relu(W2·z + b2). Only the non-zero entries of h
// enter the H2² term. For fixedpoint.QuadFormActive's overflow bound,
// len(nz) ≤ maxQHidden = 2^8, h ≤ actClamp = 2^20 and |G| < 2^31 give
// condition (1) for every model; condition (2) holds whenever the real
// entries of G, G·2^-GShift, are at most 127 in magnitude.
func (e *fixedEngine) quad(z []int64) int64 {
	e.hiddenPre(z)
	h := e.h[:e.q.H2]
	u := e.u[:len(h)]
	nz := e.nz[:len(h)]
	n := 0
	var lin int64
	for k, v := range h {
		if v <= 0 {
			h[k] = 0
			continue
		}
		v = min(v, actClamp)
		h[k] = v
		nz[n] = int32(k)
		n++
		lin += u[k] * v
	}
	quadQ24 := fixedpoint.QuadFormActive(e.q.G, h, nz[:n], int(e.q.GShift))
	return fixedpoint.RoundShift64(quadQ24-2*lin, fracBits)
}

// hiddenPre sets e.h to the decoder's first layer before its ReLU and clamp,
// requant(W2·z, M2, S2) + B2 row by row. The sums are exact int64 sums (the
// same as fixedpoint.DotI16I64's: |z| ≤ actClamp, L ≤ maxQLatent), so their
// order is free. For the usual 8 latents a row is written out, with z copied
// to a local array and the requantisation's constants in one record per row:
// the loop's state then stays in registers on amd64 and its terms have no
// bounds checks.
func (e *fixedEngine) hiddenPre(z []int64) {
	q := e.q
	L := q.L
	rs := e.rq2[:q.H2]
	h := e.h[:len(rs)]
	w := q.W2[:len(rs)*L]
	if L == 8 && wordBits == 32 {
		hidden8Split(h, w, rs, z)
		return
	}
	if L == 8 {
		var zz [8]int64
		copy(zz[:], z)
		for k := range h {
			r := w[:8:8]
			w = w[8:]
			acc := int64(r[0])*zz[0] + int64(r[1])*zz[1] + int64(r[2])*zz[2] + int64(r[3])*zz[3] +
				int64(r[4])*zz[4] + int64(r[5])*zz[5] + int64(r[6])*zz[6] + int64(r[7])*zz[7]
			h[k] = requantRow(&rs[k], acc)
		}
		return
	}
	z = z[:L]
	for k := range h {
		h[k] = requantRow(&rs[k], fixedpoint.DotI16I64(w[k*L:k*L+L], z))
	}
}

// wordBits is the machine word's size, a constant: hiddenPre's choice of
// loop costs nothing at run time.
const wordBits = 32 << (^uint(0) >> 63)

// Splitting a latent z = zHi·2^zSplit + zLo, zLo in [0, 2^zSplit).
const (
	zSplit = 11
	zLoMax = 1<<zSplit - 1
)

// hidden8Split is hiddenPre's loop for 8 latents with 32-bit multiplies, for
// 32-bit cores, where an int64 product is several instructions. Each latent
// is split as z = zHi·2^11 + zLo with zLo in [0, 2^11), and a row's sum as
//
//	W2[k]·z = 2^11·Σ_j w_j·zHi_j + Σ_j w_j·zLo_j
//
// Bound: |w_j| ≤ 2^15 and |z_j| ≤ actClamp = 2^20, so |zHi_j| ≤ 2^9 and
// the high sum is at most 8·2^15·2^9 = 2^27 in magnitude; the low sum at
// most 8·2^15·(2^11 − 1) < 2^29. Both fit int32 with room to spare, and the
// row's int64 sum is exact as in the 64-bit loop, so every bit is the same
// (TestHidden8Split: latents at ±actClamp, weights at −2^15, against the
// int64 loop; a latent of 2^24 + 2^11 shows the high sum wrapping past the
// bound).
func hidden8Split(h []int64, w []int16, rs []rowRequant, z []int64) {
	var hi, lo [8]int32
	for j, v := range z[:8] {
		hi[j], lo[j] = int32(v>>zSplit), int32(v&zLoMax)
	}
	rs = rs[:len(h)]
	for k := range h {
		r := w[:8:8]
		w = w[8:]
		sh := int32(r[0])*hi[0] + int32(r[1])*hi[1] + int32(r[2])*hi[2] + int32(r[3])*hi[3] +
			int32(r[4])*hi[4] + int32(r[5])*hi[5] + int32(r[6])*hi[6] + int32(r[7])*hi[7]
		sl := int32(r[0])*lo[0] + int32(r[1])*lo[1] + int32(r[2])*lo[2] + int32(r[3])*lo[3] +
			int32(r[4])*lo[4] + int32(r[5])*lo[5] + int32(r[6])*lo[6] + int32(r[7])*lo[7]
		h[k] = requantRow(&rs[k], int64(sh)<<zSplit+int64(sl))
	}
}

// rowRequant is one row's requant(·, m, sh) + b with the rounding constants
// worked out once: requantRow(r, acc) = requant(acc, m, sh) + b for every acc
// that requant's range admits (|acc·m| ≤ 2^62; TestRowRequant).
type rowRequant struct {
	m    int64
	half int64  // 2^(sh−1); 0 for sh = 0
	neg  int64  // −1: the sign bit's tie correction; 0 for sh = 0
	sh   uint64 // in [0, 62]
	b    int64
}

func newRowRequant(m int32, sh uint8, b int64) rowRequant {
	r := rowRequant{m: int64(m), sh: uint64(sh), b: b}
	if sh > 0 {
		r.half, r.neg = 1<<(sh-1), -1
	}
	return r
}

// requantRow is fixedpoint.MulRoundShift64(acc, r.m, r.sh) + r.b: for sh ≥ 1,
// (p + 2^(sh−1) + sign(p)) >> sh with sign(p) = p>>63, and p itself for
// sh = 0, where half and neg are 0. The shift count is masked so that the
// compiler adds no check for counts of 64 and more.
func requantRow(r *rowRequant, acc int64) int64 {
	p := acc * r.m
	return (p+r.half+(p>>63)&r.neg)>>(r.sh&63) + r.b
}

// sigmas sets e.sig[j] = exp(s_j/2) for τ, in Q12. s_j in Q12 read as
// Q13 is s_j/2 exactly, so the only roundings are ExpQ's and the final
// halving shift.
func (e *fixedEngine) sigmas(tau []int64) {
	L := e.q.L
	for j := 0; j < L; j++ {
		e.sig[j] = fixedpoint.RoundShift64(fixedpoint.ExpQ(tau[L+j], fracBits+1), 1)
	}
}

// iwnll is the importance-weighted NLL at τ minus terms that do not depend
// on τ (they cancel in the regret).
func (e *fixedEngine) iwnll(tau []int64) int64 {
	L := e.q.L
	e.sigmas(tau)
	for k := 0; k < e.s; k++ {
		eps := e.eps[k*L : (k+1)*L]
		var sq, ss int64
		for j := 0; j < L; j++ {
			z := clampAct(tau[j] + fixedpoint.MulRoundShift64(e.sig[j], eps[j], fracBits))
			e.z[j] = z
			sq += eps[j]*eps[j] - z*z
			ss += tau[L+j]
		}
		e.lw[k] = (sq>>fracBits+ss)>>1 - e.quad(e.z)>>1
	}
	return -fixedpoint.LogSumExpQ(e.lw, fracBits)
}

// score returns the model's score of one int16 Q11 input in Q12: the regret in
// nats (ScoreRegret), or the largest of the robust z-scores of the regret,
// of the statistics residual and of the NLL left after the re-fit
// (ScoreRegretAndStats; the last only in models that carry its centre and
// scale, format 4 on).
func (e *fixedEngine) score(in []int16) int64 {
	lr := e.regret(in)
	q := e.q
	if q.Mode == ScoreRegret {
		return lr
	}
	z := zScore(lr, q.CRegret, q.SRegret)
	if len(q.B3s) > 0 {
		z = max(z, zScore(e.residual(in), q.CResid, q.SResid))
	}
	if q.SNLL > 0 {
		z = max(z, zScore(e.nllAfter(), q.CNLL, q.SNLL))
	}
	return z
}

// parts returns the regret, the statistics residual (0 without statistic
// inputs) and the NLL after the re-fit (0 in a model without the per-input
// precisions), all Q12 nats.
func (e *fixedEngine) parts(in []int16) (lr, resid, after int64) {
	lr = e.regret(in)
	if len(e.q.B3s) > 0 {
		resid = e.residual(in)
	}
	if len(e.q.LamX) > 0 {
		after = e.nllAfter()
	}
	return lr, resid, after
}

// nllAfter returns the importance-weighted NLL at the re-fitted τ_K left by
// regret, with the input's own term ½ Σᵢ Λᵢ(xᵢ − b3ᵢ)² added back: what the
// best posterior the re-fit found still cannot explain. Only the model's
// constant (½ Σ log 2π/Λᵢ) is left out; it cancels in the robust z-score.
func (e *fixedEngine) nllAfter() int64 {
	q := e.q
	var c int64
	lam := q.LamX[:len(e.r)]
	for i, r := range e.r {
		// r Q11, |r| ≤ 2^15: r² ≤ 2^30 is exact in int32, and r² >> 10 is
		// Q12 below 2^20; 0 ≤ LamX < 2^24, so a term stays below 2^44 and
		// the sum over D ≤ maxInputs inputs inside int64. Both factors are
		// non-negative: as uint32s widened to uint64 the product is the
		// same, and a 32-bit core forms it with one 32×32→64 multiply.
		c += int64(uint64(uint32(lam[i])) * uint64(uint32(int32(r)*int32(r))>>(2*inputFrac-fracBits)))
	}
	if s := int(q.LShift); s >= 0 {
		c = fixedpoint.RoundShift64(c, uint(s))
	} else {
		c = fixedpoint.ShiftLeftSat64(c, uint(-s))
	}
	return e.after + c>>1
}

// zScore returns (v − c)/s in Q12 for Q12 v, c, s (s > 0), saturating.
func zScore(v, c, s int64) int64 {
	d := v - c
	if d > 1<<40 {
		d = 1 << 40
	} else if d < -1<<40 {
		d = -1 << 40
	}
	return (d << fracBits) / s
}

// residual returns ½ Σ Λᵢ (xᵢ − x̂ᵢ(μ))² over the statistic inputs, in Q12,
// at the re-fitted posterior mean μ = τ[:L] left by regret.
func (e *fixedEngine) residual(in []int16) int64 {
	q := e.q
	L, H2 := q.L, q.H2
	for k := 0; k < H2; k++ {
		v := requant(fixedpoint.DotI16I64(q.W2[k*L:(k+1)*L], e.tau[:L]), int64(q.M2[k]), int(q.S2[k])) + q.B2[k]
		if v < 0 {
			v = 0
		}
		e.h[k] = clampAct(v)
	}
	var sum int64
	for i := range q.B3s {
		sum += e.statTerm(in, i)
	}
	return sum >> 1
}

// statTerm returns Λᵢ (xᵢ − x̂ᵢ)² in Q12 for statistic i, with the decoder
// hidden layer h left at the re-fitted posterior mean by residual.
func (e *fixedEngine) statTerm(in []int16, i int) int64 {
	q := e.q
	off := q.D - len(q.B3s)
	xh := clampAct(requant(fixedpoint.DotI16I64(q.W3s[i*q.H2:(i+1)*q.H2], e.h), int64(q.M3s[i]), int(q.S3s[i])) + q.B3s[i])
	d := int64(in[off+i])<<(fracBits-inputFrac) - xh // input Q11 → Q12
	return ((d * d) >> fracBits) * q.Lam[i] >> fracBits
}

// regret returns the approximated Likelihood Regret of one int16 input in
// Q12: NLL(τ₀) − NLL(τ_K) after K zeroth-order descent steps (same algorithm
// as floatEngine.refit, in integers). τ_K stays in e.tau.
func (e *fixedEngine) regret(in []int16) int64 {
	e.prepare(in)
	L2 := 2 * e.q.L
	a := e.a
	f0 := e.iwnll(e.tau)
	before := f0
	for k := 0; k < e.steps; k++ {
		clear(e.g)
		for qd := 0; qd < e.dir; qd++ {
			d := e.dirs[(k*e.dir+qd)*L2 : (k*e.dir+qd+1)*L2]
			for j := range e.pert {
				e.pert[j] = e.tau[j] + e.c*int64(d[j])
			}
			e.clampTau(e.pert)
			df := e.iwnll(e.pert) - f0
			for j := range e.g {
				e.g[j] += df * int64(d[j])
			}
		}
		var gm int64
		for _, v := range e.g {
			if v < 0 {
				v = -v
			}
			if v > gm {
				gm = v
			}
		}
		if gm == 0 {
			break
		}
		// Keep a·g inside int64: drop low bits of g and gm together.
		for gm >= 1<<40 {
			gm >>= 8
			for j := range e.g {
				e.g[j] >>= 8
			}
		}
		if gm == 0 {
			break
		}
		for j := range e.trl {
			e.trl[j] = e.tau[j] - a*e.g[j]/gm
		}
		e.clampTau(e.trl)
		if f := e.iwnll(e.trl); f < f0 {
			copy(e.tau, e.trl)
			f0 = f
		} else {
			a >>= 1
		}
	}
	e.after = f0
	return before - f0
}

func (e *fixedEngine) clampTau(tau []int64) {
	L := e.q.L
	for j := 0; j < L; j++ {
		tau[j] = clampAct(tau[j])
		tau[L+j] = clampS(tau[L+j])
	}
}
