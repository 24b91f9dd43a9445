package fixedpoint

import "math/bits"

// Integer limits used by the saturating primitives. They are spelled out here
// so that the kernels never import package math.
const (
	minInt16 = -1 << 15
	maxInt16 = 1<<15 - 1
	minInt32 = -1 << 31
	maxInt32 = 1<<31 - 1
	minInt64 = -1 << 63
	maxInt64 = 1<<63 - 1
)

// Sat16 clamps x to the int16 range:
//
//	return int16(min(max(x, -32768), 32767))
func Sat16(x int32) int16 {
	if x > maxInt16 {
		return maxInt16
	}
	if x < minInt16 {
		return minInt16
	}
	return int16(x)
}

// Sat32 clamps x to the int32 range:
//
//	return int32(min(max(x, -2^31), 2^31-1))
func Sat32(x int64) int32 {
	if x > maxInt32 {
		return maxInt32
	}
	if x < minInt32 {
		return minInt32
	}
	return int32(x)
}

// AddSat64 returns a+b clamped to the int64 range.
func AddSat64(a, b int64) int64 {
	s := a + b
	// Overflow happened iff a and b have the same sign and s has the other.
	if (a >= 0) == (b >= 0) && (s >= 0) != (a >= 0) {
		if a >= 0 {
			return maxInt64
		}
		return minInt64
	}
	return s
}

// RoundShift64 divides x by 2^n and rounds to nearest, ties away from zero:
//
//	return round(x / 2^n)   // n == 0 returns x; n >= 64 returns 0
//
// It is exact (no intermediate overflow) for every int64 x.
func RoundShift64(x int64, n uint) int64 {
	if n == 0 {
		return x
	}
	if n >= 64 {
		return 0
	}
	q := x >> n // floor
	r := uint64(x) & (1<<n - 1)
	half := uint64(1) << (n - 1)
	// floor is already away from zero for a negative tie.
	if r > half || (r == half && x >= 0) {
		q++
	}
	return q
}

// RoundShift32 is RoundShift64 for int32 arguments: round(x / 2^n), ties
// away from zero.
func RoundShift32(x int32, n uint) int32 {
	if n == 0 {
		return x
	}
	if n >= 32 {
		return 0
	}
	q := x >> n
	r := uint32(x) & (1<<n - 1)
	half := uint32(1) << (n - 1)
	if r > half || (r == half && x >= 0) {
		q++
	}
	return q
}

// ShiftLeftSat64 returns x·2^n clamped to the int64 range.
func ShiftLeftSat64(x int64, n uint) int64 {
	if x == 0 {
		return 0
	}
	if n >= 63 {
		if x > 0 {
			return maxInt64
		}
		return minInt64
	}
	y := x << n
	if y>>n != x {
		if x > 0 {
			return maxInt64
		}
		return minInt64
	}
	return y
}

// mulShiftRound64 returns round(|x|·m / 2^n) with the sign of x, for m ≥ 0 and
// 1 ≤ n ≤ 126, clamped to the int64 range. It uses a 128-bit product so that
// no intermediate overflows.
func mulShiftRound64(x int64, m uint64, n uint) int64 {
	neg := x < 0
	ux := uint64(x)
	if neg {
		ux = -ux // correct for minInt64 too: the magnitude 2^63 fits in uint64
	}
	hi, lo := bits.Mul64(ux, m)
	// Add 2^(n-1) (ties away from zero on the magnitude), then shift right by n.
	var carry uint64
	if n-1 < 64 {
		lo, carry = bits.Add64(lo, 1<<(n-1), 0)
		hi += carry
	} else {
		hi += 1 << (n - 1 - 64)
	}
	var q uint64
	switch {
	case n < 64:
		if hi>>n != 0 {
			q = 1 << 63 // overflow: forces saturation below
		} else {
			q = hi<<(64-n) | lo>>n
		}
	case n == 64:
		q = hi
	default:
		q = hi >> (n - 64)
	}
	if neg {
		if q > 1<<63 {
			return minInt64
		}
		return -int64(q)
	}
	if q > maxInt64 {
		return maxInt64
	}
	return int64(q)
}
