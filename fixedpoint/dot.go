package fixedpoint

// Dot products into int64. They are exact (no rounding, no saturation)
// within the stated bounds; for slices of unequal length the shorter length
// is used and the result is still well defined.

// DotI16 returns the exact sum of products of two int16 vectors:
//
//	var acc int64
//	for i := range a { acc += int64(a[i]) * int64(b[i]) }
//	return acc
//
// Exact for any length below 2^33.
func DotI16(a, b []int16) int64 {
	n := min(len(a), len(b))
	a = a[:n]
	b = b[:len(a)]
	var acc int64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa, bb := a[i:i+4:i+4], b[i:i+4:i+4]
		acc += int64(int32(aa[0])*int32(bb[0])) + int64(int32(aa[1])*int32(bb[1])) +
			int64(int32(aa[2])*int32(bb[2])) + int64(int32(aa[3])*int32(bb[3]))
	}
	for ; i < len(a); i++ {
		acc += int64(int32(a[i]) * int32(b[i]))
	}
	return acc
}

// DotI16I64 returns the sum of products of int16 weights and int64
// activations (for example Q12 activations kept in int64 because they need
// more than 16 bits):
//
//	var acc int64
//	for i := range a { acc += int64(a[i]) * b[i] }
//	return acc
//
// Only the first min(len(a), len(b)) terms are summed.
//
// Overflow bound: |a[i]| ≤ 2^15, so every partial sum is at most
// 2^15·Σ_i |b[i]| in magnitude, and the result is exact whenever
//
//	Σ_i |b[i]| < 2^48     (for example |b[i]| ≤ 2^20 and len(a) < 2^28)
//
// (TestDotI16I64Bound checks both sides of the bound). Because int64
// addition wraps modulo 2^64, the terms may be summed in any order with the
// same bits even outside it; there the result is just not the true sum.
func DotI16I64(a []int16, b []int64) int64 {
	n := min(len(a), len(b))
	a = a[:n]
	b = b[:len(a)]
	var acc int64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa, bb := a[i:i+4:i+4], b[i:i+4:i+4]
		acc += int64(aa[0])*bb[0] + int64(aa[1])*bb[1] + int64(aa[2])*bb[2] + int64(aa[3])*bb[3]
	}
	for ; i < len(a); i++ {
		acc += int64(a[i]) * b[i]
	}
	return acc
}
