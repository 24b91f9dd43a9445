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
// Exact for any length below 2^33. On 32-bit architectures it is computed by
// dotI16Pairs (int32 products and pair sums, a 64-bit add per pair), elsewhere
// with int64 products; both are exact, so the bits are the same.
func DotI16(a, b []int16) int64 {
	if wordBits == 32 {
		return dotI16Pairs(a, b)
	}
	n := min(len(a), len(b))
	a = a[:n]
	b = b[:n]
	// Four independent sums of 64-bit products, sixteen terms per step, then
	// eight: each product is a multiply of two sign-extending loads, and a
	// step checks its bounds and advances the slices once for all its terms.
	var s0, s1, s2, s3 int64
	for len(a) >= 16 && len(b) >= 16 {
		x, y := (*[16]int16)(a), (*[16]int16)(b)
		s0 += int64(x[0])*int64(y[0]) + int64(x[4])*int64(y[4]) + int64(x[8])*int64(y[8]) + int64(x[12])*int64(y[12])
		s1 += int64(x[1])*int64(y[1]) + int64(x[5])*int64(y[5]) + int64(x[9])*int64(y[9]) + int64(x[13])*int64(y[13])
		s2 += int64(x[2])*int64(y[2]) + int64(x[6])*int64(y[6]) + int64(x[10])*int64(y[10]) + int64(x[14])*int64(y[14])
		s3 += int64(x[3])*int64(y[3]) + int64(x[7])*int64(y[7]) + int64(x[11])*int64(y[11]) + int64(x[15])*int64(y[15])
		a, b = a[16:], b[16:]
	}
	for len(a) >= 8 && len(b) >= 8 {
		x, y := (*[8]int16)(a), (*[8]int16)(b)
		s0 += int64(x[0])*int64(y[0]) + int64(x[4])*int64(y[4])
		s1 += int64(x[1])*int64(y[1]) + int64(x[5])*int64(y[5])
		s2 += int64(x[2])*int64(y[2]) + int64(x[6])*int64(y[6])
		s3 += int64(x[3])*int64(y[3]) + int64(x[7])*int64(y[7])
		a, b = a[8:], b[8:]
	}
	for i := range a {
		if i < len(b) {
			s0 += int64(a[i]) * int64(b[i])
		}
	}
	return s0 + s1 + s2 + s3
}

// wordBits is the size of a machine word, a constant, so DotI16's choice of
// loop costs nothing at run time.
const wordBits = 32 << (^uint(0) >> 63)

// pairBias moves the sum of two int16 products into [0, 2^32): such a sum
// lies in [−2·32767·32768, 2·32768²] = [−pairBias, 2^31], a range narrower
// than 2^32.
const pairBias = 2 * 32767 * 32768

// dotI16Pairs is DotI16 with 32-bit multiplies, for 32-bit cores where an
// int64 product is several instructions:
//
//	var acc int64
//	for i := 0; i+1 < n; i += 2 {
//		p := int32(a[i])*int32(b[i]) + int32(a[i+1])*int32(b[i+1]) // may wrap
//		acc += int64(uint32(p) + pairBias) - pairBias
//	}
//	// an odd last term in int64
//
// Bound: each product is at most 2^30 in magnitude, and only (−2^15)² reaches
// +2^30, so a pair sum S lies in [−pairBias, 2^31]. The int32 sum holds S
// modulo 2^32 (only S = 2^31 wraps), and uint32(p) + pairBias, taken modulo
// 2^32, is S + pairBias exactly, because that lies in [0, 2^32 − 2^16].
// The biased pair sums, each below 2^32, add exactly in uint64 for any
// length below 2^33; the biases come off once at the end.
// (TestDotI16PairsBound: pairs at both ends of the range, one of which an
// int32 sum without the bias gets wrong.)
func dotI16Pairs(a, b []int16) int64 {
	n := min(len(a), len(b))
	a = a[:n]
	b = b[:n]
	var s0, s1 uint64
	for len(a) >= 8 && len(b) >= 8 {
		x, y := (*[8]int16)(a), (*[8]int16)(b)
		s0 += uint64(uint32(int32(x[0])*int32(y[0])+int32(x[1])*int32(y[1]))+pairBias) +
			uint64(uint32(int32(x[4])*int32(y[4])+int32(x[5])*int32(y[5]))+pairBias)
		s1 += uint64(uint32(int32(x[2])*int32(y[2])+int32(x[3])*int32(y[3]))+pairBias) +
			uint64(uint32(int32(x[6])*int32(y[6])+int32(x[7])*int32(y[7]))+pairBias)
		a, b = a[8:], b[8:]
	}
	for len(a) >= 4 && len(b) >= 4 {
		x, y := (*[4]int16)(a), (*[4]int16)(b)
		s0 += uint64(uint32(int32(x[0])*int32(y[0])+int32(x[1])*int32(y[1])) + pairBias)
		s1 += uint64(uint32(int32(x[2])*int32(y[2])+int32(x[3])*int32(y[3])) + pairBias)
		a, b = a[4:], b[4:]
	}
	s := int64(s0+s1) - int64((n-len(a))/2)*pairBias
	for i := range a {
		if i < len(b) {
			s += int64(a[i]) * int64(b[i])
		}
	}
	return s
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
	b = b[:n]
	var s0, s1, s2, s3 int64
	for len(a) >= 4 && len(b) >= 4 {
		x, y := (*[4]int16)(a), (*[4]int64)(b)
		s0 += int64(x[0]) * y[0]
		s1 += int64(x[1]) * y[1]
		s2 += int64(x[2]) * y[2]
		s3 += int64(x[3]) * y[3]
		a, b = a[4:], b[4:]
	}
	for i := range a {
		if i < len(b) {
			s0 += int64(a[i]) * b[i]
		}
	}
	return s0 + s1 + s2 + s3
}
