package fixedpoint

import (
	"math"
	"math/big"
)

// Reference implementations for the tests: exact big-integer arithmetic for
// the rounding primitives, float64 for everything else.

// bigRoundShift returns round(x / 2^n), ties away from zero, exactly.
func bigRoundShift(x *big.Int, n int) *big.Int {
	if n <= 0 {
		return new(big.Int).Lsh(x, uint(-n))
	}
	a := new(big.Int).Abs(x)
	a.Add(a, new(big.Int).Lsh(big.NewInt(1), uint(n-1)))
	a.Rsh(a, uint(n))
	if x.Sign() < 0 {
		a.Neg(a)
	}
	return a
}

// bigClamp clamps x to [lo, hi] and returns it as int64.
func bigClamp(x *big.Int, lo, hi int64) int64 {
	if x.Cmp(big.NewInt(lo)) < 0 {
		return lo
	}
	if x.Cmp(big.NewInt(hi)) > 0 {
		return hi
	}
	return x.Int64()
}

// refRequant is the exact value Requant.Apply64 must return.
func refRequant(q Requant, acc int64) int32 {
	p := new(big.Int).Mul(big.NewInt(acc), big.NewInt(int64(q.M)))
	return int32(bigClamp(bigRoundShift(p, 31-int(q.Shift)), math.MinInt32, math.MaxInt32))
}

// step is one Q16.16 step, 2^-16.
const step = 1.0 / (1 << 16)

// refAct is Act.Apply in float64.
func refAct(a Act, v float64) float64 {
	if a.Kind == ActReLU {
		v = math.Max(v, 0)
	}
	return math.Min(math.Max(v, -32768), 32767)
}
