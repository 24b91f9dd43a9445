package fixedpoint

import "math/bits"

// mantissa splits x > 0 into p = floor(log2 x) and the first 8 bits (i) and
// next 16 bits (w, Q0.16) of the fraction f = x/2^p − 1.
func mantissa(x uint64) (p int, i, w uint64) {
	p = bits.Len64(x) - 1
	f := x << uint(64-p) // fraction bits, left aligned; 0 when p == 0
	return p, f >> 56, (f >> 40) & 0xFFFF
}

// interpU32 reads a Q2.30 table at i + w/2^16 with linear interpolation.
func interpU32(t *[257]uint32, i, w uint64) int64 {
	a, b := t[i], t[i+1]
	return int64(a) + int64((uint64(b-a)*w+1<<15)>>16)
}

// log2Q30 returns log2(x·2^-frac) in Q34.30 (int64) for x > 0: the position
// of the leading bit gives the integer part, log2Table with linear
// interpolation on the next 16 bits the fraction:
//
//	p := floor(log2(x)); f := x/2^p − 1               // f in [0, 1)
//	i, w := f·256, f·256 − i                          // w in Q0.16
//	return (p − frac)·2^30 + log2Table[i] + round((log2Table[i+1] − log2Table[i])·w)
func log2Q30(x uint64, frac uint32) int64 {
	p, i, w := mantissa(x)
	return (int64(p)-int64(frac))<<30 + interpU32(&log2Table, i, w)
}

// lnQ30 returns ln(x·2^-frac) in Q34.30 for x > 0, the same way from
// lnTable:
//
//	return (p − frac)·round(ln 2·2^30) + lnTable[i] + round((lnTable[i+1] − lnTable[i])·w)
func lnQ30(x uint64, frac uint32) int64 {
	p, i, w := mantissa(x)
	return (int64(p)-int64(frac))*ln2Q30 + interpU32(&lnTable, i, w)
}

// Log2U64 returns log2(x · 2^-frac) in Q16.16 for an unsigned x with frac
// fractional bits (frac < 2^24), and math.MinInt32 for x == 0:
//
//	return round(log2(x / 2^frac) · 2^16)
//
// Error against math.Log2 (TestElementwiseAccuracy, TestLogUnsignedAccuracy): ≤ 0.5 step + 2.8e-6
// (interpolation, theoretical h²/8·max|d²f/dx²| = 2.75e-6), all x.
func Log2U64(x uint64, frac uint32) int32 {
	if x == 0 {
		return minInt32
	}
	return Sat32(RoundShift64(log2Q30(x, frac&(1<<24-1)), 14))
}

// LnU64 returns ln(x · 2^-frac) in Q16.16 for an unsigned x with frac
// fractional bits (frac < 2^24), and math.MinInt32 for x == 0:
//
//	return round(ln(x / 2^frac) · 2^16)
//
// Error against math.Log (TestElementwiseAccuracy, TestLogUnsignedAccuracy):
// ≤ 0.5 step + 2.0e-6 (interpolation, theoretical 1.9e-6), all x.
func LnU64(x uint64, frac uint32) int32 {
	if x == 0 {
		return minInt32
	}
	return Sat32(RoundShift64(lnQ30(x, frac&(1<<24-1)), 14))
}

// Log returns ln(x) for x and result in Q16.16; x ≤ 0 gives math.MinInt32,
// the saturated −∞. Same error as LnU64.
func Log(x int32) int32 {
	if x <= 0 {
		return minInt32
	}
	return LnU64(uint64(x), FracQ16)
}

// Log2 returns log2(x) for x and result in Q16.16; x ≤ 0 gives
// math.MinInt32. Same error as Log2U64.
func Log2(x int32) int32 {
	if x <= 0 {
		return minInt32
	}
	return Log2U64(uint64(x), FracQ16)
}
