package fixedpoint

// Dot products. They are exact (no rounding, no saturation) within the
// stated length limits; the slices must have equal length, otherwise the
// shorter length is used and the result is still well defined.

// dotBlock is the number of int8×int16 products that can be summed in an
// int32 without overflow: 256 · 128 · 32768 = 2^30.
const dotBlock = 256

// DotI8I16 returns the exact sum of products of int8 weights and int16
// activations:
//
//	var acc int64
//	for i := range w { acc += int64(w[i]) * int64(x[i]) }
//	return acc
//
// It sums blocks of 256 terms in int32 (cheap on 32-bit ARM) and the blocks in
// int64, so it is exact for any length below 2^33.
func DotI8I16(w []int8, x []int16) int64 {
	n := min(len(w), len(x))
	w, x = w[:n], x[:n]
	var acc int64
	for len(w) > 0 {
		k := min(len(w), dotBlock)
		wb := w[:k]
		xb := x[:len(wb)]
		var s int32
		i := 0
		for ; i+4 <= len(wb); i += 4 {
			ww, xx := wb[i:i+4:i+4], xb[i:i+4:i+4]
			s += int32(ww[0])*int32(xx[0]) + int32(ww[1])*int32(xx[1]) +
				int32(ww[2])*int32(xx[2]) + int32(ww[3])*int32(xx[3])
		}
		for ; i < len(wb); i++ {
			s += int32(wb[i]) * int32(xb[i])
		}
		acc += int64(s)
		w, x = w[k:], x[k:]
	}
	return acc
}

// dotBlock8 is the number of int8×int8 products that sum exactly in an
// int32: 2^16 · 2^14 = 2^30.
const dotBlock8 = 1 << 16

// DotI8 returns the exact sum of products of two int8 vectors (for example
// int8 weights and int8-quantised pixels):
//
//	var acc int64
//	for i := range a { acc += int64(a[i]) * int64(b[i]) }
//	return acc
//
// Blocks of 2^16 terms are summed in int32, so it is exact for any length.
func DotI8(a, b []int8) int64 {
	n := min(len(a), len(b))
	a, b = a[:n], b[:n]
	var acc int64
	for len(a) > 0 {
		ab := a[:min(len(a), dotBlock8)]
		bb := b[:len(ab)]
		var s int32
		i := 0
		for ; i+4 <= len(ab); i += 4 {
			aa, xx := ab[i:i+4:i+4], bb[i:i+4:i+4]
			s += int32(aa[0])*int32(xx[0]) + int32(aa[1])*int32(xx[1]) +
				int32(aa[2])*int32(xx[2]) + int32(aa[3])*int32(xx[3])
		}
		for ; i < len(ab); i++ {
			s += int32(ab[i]) * int32(bb[i])
		}
		acc += int64(s)
		a, b = a[len(ab):], b[len(ab):]
	}
	return acc
}

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

// DotI32I16 returns the exact sum of products of an int32 vector and an int16
// vector, for coefficients that need more than 16 bits (for example the
// per-frame linear term of a Gaussian log-likelihood):
//
//	var acc int64
//	for i := range a { acc += int64(a[i]) * int64(x[i]) }
//	return acc
//
// Exact for lengths up to 2^16; the sum saturates instead of wrapping beyond.
func DotI32I16(a []int32, x []int16) int64 {
	n := min(len(a), len(x))
	a = a[:n]
	x = x[:len(a)]
	var acc int64
	if n <= 1<<16 {
		for i, v := range a {
			acc += int64(v) * int64(x[i])
		}
		return acc
	}
	for i, v := range a {
		acc = AddSat64(acc, int64(v)*int64(x[i]))
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
