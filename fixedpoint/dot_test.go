package fixedpoint

import (
	"math"
	"math/big"
	"testing"
)

// randI64 fills a slice with int64 values spread over ±lim (lim < 2^30).
func randI64(r *Rand, n int, lim int32) []int64 {
	v := make([]int64, n)
	for i := range v {
		v[i] = int64(r.Intn(2*lim+1) - lim)
	}
	return v
}

// TestDotI16I64 checks DotI16I64 bit-exactly against the loop of its doc
// comment in big integers, and against a float64 reference. The integer sum
// is exact and every product is exact in float64 (|a·b| < 2^53), so the
// only error is the float64 summation's: tolerance n·2^-53·Σ|a[i]·b[i]|.
func TestDotI16I64(t *testing.T) {
	r := NewRand(21)
	for _, n := range []int{0, 1, 3, 4, 5, 7, 64, 257} {
		a := randI16(r, n, 32767)
		b := randI64(r, n, 1<<20)
		if n > 0 {
			a[0], b[0] = math.MinInt16, -1<<20
		}
		want := new(big.Int)
		var f, fa float64
		for i := range a {
			want.Add(want, new(big.Int).Mul(big.NewInt(int64(a[i])), big.NewInt(b[i])))
			v := float64(a[i]) * float64(b[i])
			f, fa = f+v, fa+math.Abs(v)
		}
		got := DotI16I64(a, b)
		if want.Cmp(big.NewInt(got)) != 0 {
			t.Fatalf("n=%d: DotI16I64 = %d, want %v", n, got, want)
		}
		if tol := float64(n) * 0x1p-53 * fa; math.Abs(float64(got)-f) > tol {
			t.Fatalf("n=%d: DotI16I64 = %d, float64 %v (tolerance %.3g)", n, got, f, tol)
		}
		if k := n / 2; DotI16I64(a, b[:k]) != DotI16I64(a[:k], b[:k]) || DotI16I64(a[:k], b) != DotI16I64(a[:k], b[:k]) {
			t.Fatalf("n=%d: unequal lengths must use the shorter", n)
		}
	}
}

// TestDotI16I64Bound checks the overflow bound of DotI16I64's doc comment
// from both sides with the worst weights (every a[i] = −2^15): exact with
// Σ|b[i]| = 2^48 − 256, wrapped with Σ|b[i]| = 2^48.
func TestDotI16I64Bound(t *testing.T) {
	const n = 256
	a := make([]int16, n)
	b := make([]int64, n)
	for i := range a {
		a[i], b[i] = math.MinInt16, -(1<<40 - 1) // Σ|b| = 2^48 − 256
	}
	if got, want := DotI16I64(a, b), int64(math.MaxInt64)-(1<<23-1); got != want {
		t.Fatalf("inside the bound: DotI16I64 = %d, want %d", got, want)
	}
	b[0] -= n // Σ|b| = 2^48: the true sum 2^63 wraps
	if got := DotI16I64(a, b); got != math.MinInt64 {
		t.Fatalf("at the bound: DotI16I64 = %d, want the wrapped %d", got, int64(math.MinInt64))
	}
}

// TestDotI16 compares DotI16, and dotI16Pairs (the 32-bit architectures'
// DotI16) on every architecture, with the literal loop of the doc comment at
// every length up to 40 (all the tails of their unrolled steps) and at an
// input layer's size, with the extreme −2^15 in both vectors.
func TestDotI16(t *testing.T) {
	for _, k := range []struct {
		name string
		dot  func(a, b []int16) int64
	}{{"DotI16", DotI16}, {"dotI16Pairs", dotI16Pairs}} {
		r := NewRand(22)
		for _, n := range append(seq(41), 1054) {
			a := randI16(r, n, 32767)
			b := randI16(r, n, 32767)
			if n > 1 {
				a[0], b[0] = math.MinInt16, math.MinInt16
				a[n-1], b[n-1] = math.MinInt16, math.MaxInt16
			}
			var want int64
			for i := range a {
				want += int64(a[i]) * int64(b[i])
			}
			if got := k.dot(a, b); got != want {
				t.Fatalf("n=%d: %s = %d, want %d", n, k.name, got, want)
			}
			if h := n / 2; k.dot(a, b[:h]) != k.dot(a[:h], b[:h]) || k.dot(a[:h], b) != k.dot(a[:h], b[:h]) {
				t.Fatalf("n=%d: %s: unequal lengths must use the shorter", n, k.name)
			}
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestDotI16I64Tails compares DotI16I64 with the literal loop of its doc
// comment at every length up to 20 (the tails of its four-term steps).
func TestDotI16I64Tails(t *testing.T) {
	r := NewRand(23)
	for _, n := range seq(21) {
		a := randI16(r, n, 32767)
		b := randI64(r, n, 1<<20)
		var want int64
		for i := range a {
			want += int64(a[i]) * b[i]
		}
		if got := DotI16I64(a, b); got != want {
			t.Fatalf("n=%d: DotI16I64 = %d, want %d", n, got, want)
		}
	}
}

// TestDotI16PairsBound checks the bound of dotI16Pairs's doc comment at both
// ends of a pair sum's range: every pair (−2^15)·(−2^15) twice (S = 2^31,
// which an int32 pair sum wraps to −2^31, as the test shows) and every pair
// (−2^15)·32767 twice (S = −pairBias), over 4096 terms.
func TestDotI16PairsBound(t *testing.T) {
	const n = 4096
	a := make([]int16, n)
	b := make([]int16, n)
	for i := range a {
		a[i], b[i] = math.MinInt16, math.MinInt16
	}
	if p := int32(a[0])*int32(b[0]) + int32(a[1])*int32(b[1]); p != math.MinInt32 {
		t.Fatalf("top of the range: int32 pair sum = %d, want the wrapped %d", p, int32(math.MinInt32))
	}
	if got, want := dotI16Pairs(a, b), int64(n)<<30; got != want {
		t.Fatalf("top of the range: dotI16Pairs = %d, want %d", got, want)
	}
	for i := range b {
		b[i] = math.MaxInt16
	}
	if got, want := dotI16Pairs(a, b), -int64(n)/2*pairBias; got != want {
		t.Fatalf("bottom of the range: dotI16Pairs = %d, want %d", got, want)
	}
	if -int64(pairBias) != 2*int64(math.MinInt16)*math.MaxInt16 || int64(1)<<31+pairBias >= 1<<32 {
		t.Fatal("pairBias does not fit the pair sums' range into [0, 2^32)")
	}
}
