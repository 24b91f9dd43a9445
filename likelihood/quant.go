package likelihood

import (
	"fmt"
	"math"
)

// Limits of the quantised network that keep every accumulator inside int64
// (see qnet). Activations are clamped to ±actClamp (Q12, i.e. ±256).
const (
	maxQHidden = 256
	maxQLatent = 64
	actClamp   = 1 << 20
	// maxInputs keeps Σ int16·(int16 − int16) below 2^47
	// (32 767·2·16 256·66 000 < 2^46), so that requant's products with
	// 15-bit multipliers stay below 2^62.
	maxInputs = 66000
)

// qnet is the quantised VAE the fixed scorer runs: per-output-channel
// scales, int16 weights (model format 2 had int8 input layers), biases and
// activations Q12, and multipliers m < 2^15 with right shifts sh such that
// real scale ≈ m·2^−sh.
type qnet struct {
	D, H1, L, H2 int
	W1           []int16 // H1 × D, input Q11
	M1           []int32 // per row
	S1           []uint8
	B1           []int64 // Q12
	Wm, Wv       []int16 // L × H1
	Mm, Mv       []int32
	Sm, Sv       []uint8
	Bm, Bv       []int64
	W2           []int16 // H2 × L
	M2           []int32
	S2           []uint8
	B2           []int64
	Wt           []int16 // H2 × D: row j = (Λ·W3)[:, j]
	Mt           []int32
	St           []uint8
	B3           []int16 // decoder bias in input units (Q11), |b| ≤ inputMax
	G            []int32 // H2 × H2, W3ᵀΛW3 · 2^GShift
	GShift       int8
	// Statistic inputs D−len(B3s) … D−1: their decoder rows (int16, per-row
	// scale to Q12), biases (Q12) and precisions Λᵢ = ωᵢe^{−λᵢ} (Q12), for
	// the residual after the re-fit.
	W3s []int16 // F × H2
	M3s []int32
	S3s []uint8
	B3s []int64
	Lam []int64
	// Per-input precisions Λᵢ = ωᵢe^{−λᵢ} of every input as LamX·2^−LShift
	// (one power-of-two scale, LamX < 2^24), for the input's own term of the
	// NLL after the re-fit. Empty in model format 3.
	LamX   []int32
	LShift int8
	// Score combination (Q12): robust centre and scale of the regret, of the
	// statistics residual and of the NLL after the re-fit on clean
	// validation frames. SNLL = 0: no third part (model format 3).
	Mode             ScoreMode
	CRegret, SRegret int64
	CResid, SResid   int64
	CNLL, SNLL       int64
}

// multShift splits a positive real scale into m·2^−sh with m in
// [2^14, 2^15).
func multShift(r float64) (int32, uint8, error) {
	if !(r > 0) || math.IsInf(r, 0) {
		return 0, 0, fmt.Errorf("likelihood: scale %g cannot be requantised", r)
	}
	e := math.Floor(math.Log2(r))
	m := math.Round(r * math.Exp2(14-e))
	sh := 14 - e
	if m >= 1<<15 {
		m /= 2
		sh--
	}
	if sh < 0 || sh > 62 {
		return 0, 0, fmt.Errorf("likelihood: scale %g out of the requantisation range", r)
	}
	return int32(m), uint8(sh), nil
}

// q12 converts a bias to Q12, clamped to the activation range.
func q12(v float64) int64 {
	return int64(math.Max(-actClamp, math.Min(actClamp, math.Round(v*one))))
}

// quantizeRows quantises a rows × cols float matrix to int8 or int16 with a
// per-row scale and returns the scales.
func rowScales(w []float64, rows, cols int, qmax float64) []float64 {
	s := make([]float64, rows)
	for r := 0; r < rows; r++ {
		mx := 0.0
		for _, v := range w[r*cols : (r+1)*cols] {
			mx = math.Max(mx, math.Abs(v))
		}
		if mx == 0 {
			mx = 1
		}
		s[r] = mx / qmax
	}
	return s
}

// quantize quantises n; lamStats are the precisions of the statistics
// residual (one per statistic input).
func quantize(n *net, w []float64, lamStats []float64) (*qnet, error) {
	nStats := len(lamStats)
	if n.H1 > maxQHidden || n.H2 > maxQHidden || n.L > maxQLatent || n.D > maxInputs {
		return nil, fmt.Errorf("likelihood: network too large to quantise (hidden ≤ %d, latent ≤ %d)", maxQHidden, maxQLatent)
	}
	q := &qnet{D: n.D, H1: n.H1, L: n.L, H2: n.H2}
	var err error
	// Encoder input layer: int16 weights, int16 inputs of scale 1/2048; the
	// product scale s·2^−11 is brought to Q12. (int8 weights here and in Wt
	// moved each approximated LR by about 1 nat, sd, against the float one.)
	s1 := rowScales(n.W1, n.H1, n.D, 32767)
	q.W1 = make([]int16, len(n.W1))
	q.M1, q.S1, q.B1 = make([]int32, n.H1), make([]uint8, n.H1), make([]int64, n.H1)
	for j := 0; j < n.H1; j++ {
		for i := 0; i < n.D; i++ {
			q.W1[j*n.D+i] = int16(math.Round(n.W1[j*n.D+i] / s1[j]))
		}
		if q.M1[j], q.S1[j], err = multShift(s1[j] / inputScale * one); err != nil {
			return nil, err
		}
		q.B1[j] = q12(n.B1[j])
	}
	small := func(wf []float64, rows, cols int, bf []float64) ([]int16, []int32, []uint8, []int64, error) {
		s := rowScales(wf, rows, cols, 32767)
		wq := make([]int16, len(wf))
		m, sh, b := make([]int32, rows), make([]uint8, rows), make([]int64, rows)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				wq[r*cols+c] = int16(math.Round(wf[r*cols+c] / s[r]))
			}
			var err error
			if m[r], sh[r], err = multShift(s[r]); err != nil {
				return nil, nil, nil, nil, err
			}
			b[r] = q12(bf[r])
		}
		return wq, m, sh, b, nil
	}
	if q.Wm, q.Mm, q.Sm, q.Bm, err = small(n.Wm, n.L, n.H1, n.Bm); err != nil {
		return nil, err
	}
	if q.Wv, q.Mv, q.Sv, q.Bv, err = small(n.Wv, n.L, n.H1, n.Bv); err != nil {
		return nil, err
	}
	if q.W2, q.M2, q.S2, q.B2, err = small(n.W2, n.H2, n.L, n.B2); err != nil {
		return nil, err
	}
	// Linear term of the quadratic form: row j of Wt is Λ ⊙ W3[:, j].
	lam := make([]float64, n.D)
	for i := range lam {
		lam[i] = w[i] * math.Exp(-decLogVar(n.LogVar[i]))
	}
	wt := make([]float64, n.H2*n.D)
	for i := 0; i < n.D; i++ {
		for j := 0; j < n.H2; j++ {
			wt[j*n.D+i] = lam[i] * n.W3[i*n.H2+j]
		}
	}
	st := rowScales(wt, n.H2, n.D, 32767)
	q.Wt = make([]int16, len(wt))
	q.Mt, q.St = make([]int32, n.H2), make([]uint8, n.H2)
	for j := 0; j < n.H2; j++ {
		for i := 0; i < n.D; i++ {
			q.Wt[j*n.D+i] = int16(math.Round(wt[j*n.D+i] / st[j]))
		}
		if q.Mt[j], q.St[j], err = multShift(st[j] / inputScale * one); err != nil {
			return nil, err
		}
	}
	q.B3 = make([]int16, n.D)
	for i, b := range n.B3 {
		// Clamped to the input range, so residuals x − b3 fit in int16
		// (±2·inputMax).
		q.B3[i] = int16(math.Max(-inputMax, math.Min(inputMax, math.Round(b*inputScale))))
	}
	// Quadratic term, one global power-of-two scale.
	G := make([]float64, n.H2*n.H2)
	for i := 0; i < n.D; i++ {
		row := n.W3[i*n.H2 : (i+1)*n.H2]
		for j := 0; j < n.H2; j++ {
			if a := lam[i] * row[j]; a != 0 {
				axpy(G[j*n.H2:(j+1)*n.H2], a, row)
			}
		}
	}
	gm := 0.0
	for _, v := range G {
		gm = math.Max(gm, math.Abs(v))
	}
	if gm == 0 {
		gm = 1
	}
	// Statistic rows.
	nImg := n.D - nStats
	if nStats > 0 {
		if q.W3s, q.M3s, q.S3s, q.B3s, err = small(n.W3[nImg*n.H2:], nStats, n.H2, n.B3[nImg:]); err != nil {
			return nil, err
		}
		q.Lam = make([]int64, nStats)
		for i := range q.Lam {
			q.Lam[i] = int64(math.Round(math.Min(lamStats[i], 1<<20) * one))
		}
	}
	q.SRegret, q.SResid = one, one
	lm := 0.0
	for _, v := range lam {
		lm = math.Max(lm, v)
	}
	if lm == 0 {
		lm = 1
	}
	ls := int(math.Floor(math.Log2(float64(1<<23) / lm)))
	if ls < -40 || ls > 40 {
		return nil, fmt.Errorf("likelihood: input precision scale 2^%d out of range", ls)
	}
	q.LShift = int8(ls)
	q.LamX = make([]int32, n.D)
	for i, v := range lam {
		q.LamX[i] = int32(math.Round(math.Ldexp(v, ls)))
	}
	gs := int(math.Floor(math.Log2(float64(1<<23) / gm)))
	if gs < -20 || gs > 40 {
		return nil, fmt.Errorf("likelihood: quadratic form scale 2^%d out of range", gs)
	}
	q.GShift = int8(gs)
	q.G = make([]int32, len(G))
	for i, v := range G {
		q.G[i] = int32(math.Round(math.Ldexp(v, gs)))
	}
	return q, nil
}

func (q *qnet) check() error {
	D, H1, L, H2 := q.D, q.H1, q.L, q.H2
	if D < 1 || H1 < 1 || L < 1 || H2 < 1 || H1 > maxQHidden || H2 > maxQHidden || L > maxQLatent || D > maxInputs {
		return fmt.Errorf("likelihood: %w: quantised shape %d/%d/%d/%d", ErrBadModel, D, H1, L, H2)
	}
	ok := len(q.W1) == H1*D && len(q.M1) == H1 && len(q.S1) == H1 && len(q.B1) == H1 &&
		len(q.Wm) == L*H1 && len(q.Mm) == L && len(q.Sm) == L && len(q.Bm) == L &&
		len(q.Wv) == L*H1 && len(q.Mv) == L && len(q.Sv) == L && len(q.Bv) == L &&
		len(q.W2) == H2*L && len(q.M2) == H2 && len(q.S2) == H2 && len(q.B2) == H2 &&
		len(q.Wt) == H2*D && len(q.Mt) == H2 && len(q.St) == H2 && len(q.B3) == D && len(q.G) == H2*H2 &&
		q.GShift >= -20 && q.GShift <= 40
	if !ok {
		return fmt.Errorf("likelihood: %w: quantised tensor sizes", ErrBadModel)
	}
	F := len(q.W3s) / H2
	if len(q.W3s) != F*H2 || len(q.M3s) != F || len(q.S3s) != F || len(q.B3s) != F || len(q.Lam) != F || F > 256 || F > D ||
		q.Mode > ScoreRegret || q.SRegret <= 0 || q.SResid <= 0 || absI64(q.CRegret) > 1<<40 || absI64(q.CResid) > 1<<40 ||
		q.SRegret > 1<<40 || q.SResid > 1<<40 {
		return fmt.Errorf("likelihood: %w: statistic rows or score combination", ErrBadModel)
	}
	if (len(q.LamX) != 0 && len(q.LamX) != D) || q.LShift < -40 || q.LShift > 40 ||
		q.SNLL < 0 || q.SNLL > 1<<40 || absI64(q.CNLL) > 1<<40 || (q.SNLL > 0 && len(q.LamX) == 0) {
		return fmt.Errorf("likelihood: %w: input precisions or NLL centre and scale", ErrBadModel)
	}
	for _, l := range q.LamX {
		if l < 0 || l >= 1<<24 {
			return fmt.Errorf("likelihood: %w: input precision %d", ErrBadModel, l)
		}
	}
	for _, l := range q.Lam {
		if l < 0 || l > 1<<32 {
			return fmt.Errorf("likelihood: %w: precision %d", ErrBadModel, l)
		}
	}
	for _, b := range q.B3 {
		if b < -inputMax || b > inputMax {
			return fmt.Errorf("likelihood: %w: decoder bias %d outside the input range", ErrBadModel, b)
		}
	}
	for _, set := range [][]int32{q.M1, q.Mm, q.Mv, q.M2, q.Mt, q.M3s} {
		for _, m := range set {
			if m < 0 || m >= 1<<15 {
				return fmt.Errorf("likelihood: %w: multiplier %d", ErrBadModel, m)
			}
		}
	}
	for _, set := range [][]uint8{q.S1, q.Sm, q.Sv, q.S2, q.St, q.S3s} {
		for _, s := range set {
			if s > 62 {
				return fmt.Errorf("likelihood: %w: shift %d", ErrBadModel, s)
			}
		}
	}
	for _, set := range [][]int64{q.B1, q.Bm, q.Bv, q.B2, q.B3s} {
		for _, b := range set {
			if b > actClamp || b < -actClamp {
				return fmt.Errorf("likelihood: %w: bias %d", ErrBadModel, b)
			}
		}
	}
	return nil
}

func absI64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
