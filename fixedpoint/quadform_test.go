package fixedpoint

import (
	"math"
	"math/big"
	"testing"
)

// quadCase is a QuadFormActive input: an n×n matrix whose inactive rows and
// columns hold values the kernel must never read into the result, h with
// arbitrary values at inactive indices, and the active set.
type quadCase struct {
	g      []int32
	h      []int64
	active []int32
	shift  int
}

// newQuadCase draws n units of which about a fraction p are active, active
// h in [0, hmax] (a ReLU output), G entries below 2^(31−gdrop).
func newQuadCase(r *Rand, n int, p uint32, hmax int32, gdrop uint32, shift int) quadCase {
	c := quadCase{g: make([]int32, n*n), h: make([]int64, n), shift: shift}
	for i := range c.g {
		c.g[i] = math.MaxInt32 // overwritten on active rows and columns
	}
	for i := range c.h {
		if r.Uint32()%100 < p {
			c.active = append(c.active, int32(i))
			c.h[i] = int64(r.Intn(hmax + 1))
		} else {
			c.h[i] = math.MinInt64 + int64(i) // never read
		}
	}
	for _, i := range c.active {
		for _, j := range c.active {
			c.g[int(i)*n+int(j)] = int32(r.Uint32()) >> gdrop
		}
	}
	return c
}

// ref returns the loop of QuadFormActive's doc comment in big integers, and
// whether the operands satisfy its overflow bound.
func (c quadCase) ref() (*big.Int, bool) {
	n := len(c.h)
	s := new(big.Int)
	var hm, gm int64
	for _, i := range c.active {
		hm = max(hm, abs64(c.h[i]))
		t := new(big.Int)
		for _, j := range c.active {
			gm = max(gm, abs64(int64(c.g[int(i)*n+int(j)])))
			t.Add(t, new(big.Int).Mul(big.NewInt(int64(c.g[int(i)*n+int(j)])), big.NewInt(c.h[j])))
		}
		t = bigRoundShift(t, c.shift)
		if c.shift < 0 {
			t.SetInt64(bigClamp(t, math.MinInt64, math.MaxInt64))
		}
		s.Add(s, new(big.Int).Mul(big.NewInt(c.h[i]), t))
	}
	a := big.NewInt(int64(len(c.active)))
	amh := new(big.Int).Mul(a, big.NewInt(gm))
	amh.Mul(amh, big.NewInt(hm)) // A·M·H
	ok1 := amh.Cmp(new(big.Int).Lsh(big.NewInt(1), 62)) <= 0
	// (2) scaled by 2^shift' so that it stays in integers:
	// A·H·(A·M·H + 2^shift) < 2^(63+shift) for shift ≥ 0, and
	// A·H·(A·M·H·2^-shift + 1) < 2^63 otherwise.
	lhs, rhs := new(big.Int), new(big.Int).Lsh(big.NewInt(1), 63)
	if c.shift >= 0 {
		lhs.Add(amh, new(big.Int).Lsh(big.NewInt(1), uint(c.shift)))
		rhs.Lsh(rhs, uint(c.shift))
	} else {
		lhs.Add(new(big.Int).Lsh(amh, uint(-c.shift)), big.NewInt(1))
	}
	lhs.Mul(lhs, new(big.Int).Mul(a, big.NewInt(hm)))
	return s, ok1 && lhs.Cmp(rhs) < 0
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestQuadFormActive checks QuadFormActive bit-exactly against the loop of
// its doc comment in big integers, on operands inside the overflow bound,
// with the inactive rows, columns and entries of h set to values that would
// change the result if they were read.
func TestQuadFormActive(t *testing.T) {
	r := NewRand(22)
	for _, c := range []struct {
		n      int
		p      uint32
		hmax   int32
		gdrop  uint32
		shifts []int
	}{
		{0, 50, 1 << 20, 0, []int{0}},
		{1, 100, 1 << 20, 0, []int{24, 40}},
		{5, 60, 1000, 0, []int{0, 1, 7}},
		{64, 50, 1 << 20, 8, []int{16, 23, 40, 62}},
		{64, 100, 1 << 12, 16, []int{-3, 0, 5}},
		{256, 50, 1 << 20, 0, []int{24, 31}},
		{256, 3, 1 << 20, 0, []int{24}},
	} {
		for _, sh := range c.shifts {
			qc := newQuadCase(r, c.n, c.p, c.hmax, c.gdrop, sh)
			want, ok := qc.ref()
			if !ok {
				t.Fatalf("n=%d shift=%d: test case outside the documented bound", c.n, sh)
			}
			if got := QuadFormActive(qc.g, qc.h, qc.active, sh); want.Cmp(big.NewInt(got)) != 0 {
				t.Fatalf("n=%d active=%d shift=%d: QuadFormActive = %d, want %v", c.n, len(qc.active), sh, got, want)
			}
		}
	}
}

// TestQuadFormActiveBound checks the example of QuadFormActive's overflow
// bound at its edge: 256 active units, every h = 2^20 and every G entry
// 2^31 − 1. Bound (1) holds (A·M·H < 2^59); bound (2) holds for shift ≥ 24,
// where the result must be exact, and fails at 23, where it wraps.
func TestQuadFormActiveBound(t *testing.T) {
	const n = 256
	c := quadCase{g: make([]int32, n*n), h: make([]int64, n), active: make([]int32, n)}
	for i := range c.g {
		c.g[i] = math.MaxInt32
	}
	for i := range c.h {
		c.h[i], c.active[i] = 1<<20, int32(i)
	}
	for _, sh := range []int{24, 25, 40} {
		c.shift = sh
		want, ok := c.ref()
		if !ok {
			t.Fatalf("shift %d: bound does not hold", sh)
		}
		if got := QuadFormActive(c.g, c.h, c.active, sh); want.Cmp(big.NewInt(got)) != 0 {
			t.Fatalf("shift %d: QuadFormActive = %d, want %v", sh, got, want)
		}
	}
	c.shift = 23
	want, ok := c.ref()
	if ok || want.IsInt64() {
		t.Fatalf("shift 23: bound holds (%v) or the true value %v fits in int64", ok, want)
	}
	if got := QuadFormActive(c.g, c.h, c.active, 23); want.Cmp(big.NewInt(got)) == 0 {
		t.Fatalf("shift 23: QuadFormActive = %d did not wrap", got)
	}
}

// TestQuadFormActiveVsFloat compares QuadFormActive with the same form in
// float64, Σ_i h_i·(Σ_j G_ij·h_j)·2^-shift over the active set. The integer
// result rounds each of the A = len(active) row sums once (at most ½ each,
// times h_i), and the float64 sum carries at most about 2A roundings of
// relative size 2^-53, so the tolerance is
//
//	½·Σ_i |h_i| + (2A+2)·2^-53·Σ_i Σ_j |h_i·G_ij·h_j|·2^-shift
func TestQuadFormActiveVsFloat(t *testing.T) {
	r := NewRand(23)
	var worst float64
	for trial := 0; trial < 40; trial++ {
		n := 1 + int(r.Intn(128))
		sh := 16 + int(r.Intn(16))
		c := newQuadCase(r, n, 50, 1<<20, 8, sh)
		if _, ok := c.ref(); !ok {
			t.Fatalf("n=%d shift=%d: test case outside the documented bound", n, sh)
		}
		scale := math.Ldexp(1, -sh)
		var f, fa, hs float64
		for _, i := range c.active {
			var tf, ta float64
			for _, j := range c.active {
				v := float64(c.g[int(i)*n+int(j)]) * float64(c.h[j])
				tf, ta = tf+v, ta+math.Abs(v)
			}
			hi := float64(c.h[i])
			f += hi * tf * scale
			fa += math.Abs(hi) * ta * scale
			hs += math.Abs(hi)
		}
		got := float64(QuadFormActive(c.g, c.h, c.active, sh))
		tol := 0.5*hs + float64(2*len(c.active)+2)*0x1p-53*fa
		if d := math.Abs(got - f); d > tol {
			t.Fatalf("n=%d active=%d shift=%d: int %v, float64 %v, |diff| %.4g > tolerance %.4g", n, len(c.active), sh, got, f, d, tol)
		} else if tol > 0 {
			worst = max(worst, d/tol)
		}
	}
	t.Logf("QuadFormActive vs float64: max |diff|/tolerance = %.3f", worst)
}
