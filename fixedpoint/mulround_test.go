package fixedpoint

import (
	"math"
	"math/big"
	"testing"
)

// TestMulRoundShift64 checks MulRoundShift64 against the exact big-integer
// rounding and against RoundShift64 (they must agree bit for bit inside the
// documented ranges), and against float64 where the product is exactly
// representable (|a·m| < 2^53): error 0.
func TestMulRoundShift64(t *testing.T) {
	r := NewRand(3)
	rnd := func(bits uint32) int64 {
		v := int64(uint64(r.Uint32())<<32|uint64(r.Uint32())) >> (64 - bits)
		return v
	}
	type pair struct{ a, m int64 }
	ps := []pair{{0, 0}, {1, 1}, {-1, 1}, {3, 1}, {-3, 1}, {5, -1}, {1 << 47, 1<<15 - 1}, {-1 << 47, 1<<15 - 1},
		{1 << 62, 1}, {-1 << 62, 1}, {1<<62 - 1, -1}, {(1 << 31) - 1, 1 << 31}}
	for i := 0; i < 5000; i++ {
		ab := 1 + r.Uint32()%48
		ps = append(ps, pair{rnd(ab), rnd(1 + r.Uint32()%(63-ab))})
	}
	var floatChecked int
	for _, p := range ps {
		prod := new(big.Int).Mul(big.NewInt(p.a), big.NewInt(p.m))
		if prod.CmpAbs(new(big.Int).Lsh(big.NewInt(1), 62)) > 0 {
			t.Fatalf("test pair %d·%d outside the documented range", p.a, p.m)
		}
		for n := uint(0); n <= 62; n++ {
			got := MulRoundShift64(p.a, p.m, n)
			want := bigRoundShift(prod, int(n)).Int64()
			if got != want {
				t.Fatalf("MulRoundShift64(%d, %d, %d) = %d, want %d", p.a, p.m, n, got, want)
			}
			if rs := RoundShift64(p.a*p.m, n); rs != got {
				t.Fatalf("MulRoundShift64(%d, %d, %d) = %d, RoundShift64 gives %d", p.a, p.m, n, got, rs)
			}
			if prod.IsInt64() && math.Abs(float64(prod.Int64())) < 1<<53 {
				f := math.Ldexp(float64(prod.Int64()), -int(n))
				if math.Round(f) != float64(got) { // math.Round: ties away from zero
					t.Fatalf("MulRoundShift64(%d, %d, %d) = %d, float reference %g", p.a, p.m, n, got, math.Round(f))
				}
				floatChecked++
			}
		}
	}
	if floatChecked < 1000 {
		t.Errorf("only %d float comparisons", floatChecked)
	}
}

func TestMulRoundShift64Ties(t *testing.T) {
	for _, c := range []struct {
		a, m int64
		n    uint
		want int64
	}{{3, 1, 1, 2}, {-3, 1, 1, -2}, {1, 1, 1, 1}, {-1, 1, 1, -1}, {5, 1, 2, 1}, {-5, 1, 2, -1}, {6, 1, 2, 2}, {-6, 1, 2, -2},
		{-7, 1, 2, -2}, {-3, 3, 1, -5}, {-9, 1, 0, -9}} {
		if got := MulRoundShift64(c.a, c.m, c.n); got != c.want {
			t.Errorf("MulRoundShift64(%d, %d, %d) = %d, want %d", c.a, c.m, c.n, got, c.want)
		}
	}
}

// BenchmarkRoundShift: requantising 65536 accumulators by a 15-bit
// multiplier, with MulRoundShift64, RoundShift64 of the product, and the
// float64 multiply-and-round it stands for.
func BenchmarkRoundShift(b *testing.B) {
	r := NewRand(9)
	acc := make([]int64, 1<<16) // more than a branch predictor can learn
	accF := make([]float64, len(acc))
	for i := range acc {
		acc[i] = int64(int32(r.Uint32())) << 8
		accF[i] = float64(acc[i])
	}
	const m, n = 23456, 33
	scale := math.Ldexp(m, -n)
	b.Run("MulRoundShift64", func(b *testing.B) {
		var s int64
		cpuLoop(b, func() {
			for _, a := range acc {
				s += MulRoundShift64(a, m, n)
			}
		})
		sinkI64 = s
	})
	b.Run("RoundShift64", func(b *testing.B) {
		var s int64
		cpuLoop(b, func() {
			for _, a := range acc {
				s += RoundShift64(a*m, n)
			}
		})
		sinkI64 = s
	})
	b.Run("Float64", func(b *testing.B) {
		var s float64
		cpuLoop(b, func() {
			for _, a := range accF {
				s += math.Round(a * scale)
			}
		})
		sinkF64 = s
	})
}

var (
	sinkI64 int64
	sinkF64 float64
)
