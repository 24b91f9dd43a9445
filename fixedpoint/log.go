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

// lnQ30 returns ln(x·2^-frac) in Q34.30 for x > 0: the position of the
// leading bit gives the integer part of log2, lnTable with linear
// interpolation on the next 16 bits the rest:
//
//	p := floor(log2(x)); f := x/2^p − 1               // f in [0, 1)
//	i, w := f·256, f·256 − i                          // w in Q0.16
//	return (p − frac)·round(ln 2·2^30) + lnTable[i] + round((lnTable[i+1] − lnTable[i])·w)
//
// Interpolation error: at most h²/8·max|d²ln(m)/dm²| = 1.9e-6 (h = 1/256 on [1, 2]).
func lnQ30(x uint64, frac uint32) int64 {
	p, i, w := mantissa(x)
	return (int64(p)-int64(frac))*ln2Q30 + interpU32(&lnTable, i, w)
}
