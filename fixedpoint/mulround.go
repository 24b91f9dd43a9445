package fixedpoint

// MulRoundShift64 multiplies a by m and divides by 2^n, rounding to
// nearest with ties away from zero, for a product |a·m| ≤ 2^62 and
// n ≤ 62:
//
//	return RoundShift64(a*m, n)
//
// It gives exactly RoundShift64's result inside those ranges (the product is
// exact and the rounding cannot overflow) but has no data-dependent branch:
// the tie correction is the sign bit of the product. That matters in
// requantisation loops, where RoundShift64's comparison with the half step
// is a coin flip for the branch predictor (TestMulRoundShift64 and
// BenchmarkRoundShift). Outside the ranges the product wraps and the result
// is meaningless; callers bound their operands (for example a 15-bit
// multiplier times an accumulator below 2^47).
func MulRoundShift64(a, m int64, n uint) int64 {
	p := a * m
	if n == 0 {
		return p
	}
	// p ≥ 0: floor((p + 2^(n−1)) / 2^n); p < 0: floor((p + 2^(n−1) − 1) / 2^n).
	return (p + int64(1)<<(n-1) + p>>63) >> n
}
