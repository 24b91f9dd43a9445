package fixedpoint

// LogSumExp returns ln Σ_i e^x[i] for x and result in Q16.16, with the
// maximum subtracted first so that no term overflows:
//
//	m := max(x)
//	s := Σ_i round(exp((x[i] − m)/2^16) · 2^30)     // Q2.30 terms, uint64 sum
//	return m + round(ln(s / 2^30) · 2^16)           // saturated
//
// An empty x gives math.MinInt32 (ln 0). Exact for len(x) < 2^33.
// Error against math (TestLogSumExpAccuracy): ≤ 0.5 step + 2.5e-6 + n·2^-31.
func LogSumExp(x []int32) int32 {
	if len(x) == 0 {
		return minInt32
	}
	m, s := lseSum(x)
	return Sat32(int64(m) + RoundShift64(lnQ30(s, 30), 14))
}

// LogMeanExp returns ln((1/n) Σ_i e^x[i]) in Q16.16, n = len(x): the
// importance-weighted log-likelihood estimate log mean exp of log-weights.
//
//	return LogSumExp(x) − ln(n)     // with a single final rounding
//
// Empty x gives math.MinInt32. Same error bound as LogSumExp.
func LogMeanExp(x []int32) int32 {
	if len(x) == 0 {
		return minInt32
	}
	m, s := lseSum(x)
	return Sat32(int64(m) + RoundShift64(lnQ30(s, 30)-lnQ30(uint64(len(x)), 0), 14))
}

func lseSum(x []int32) (m int32, s uint64) {
	m = x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	for _, v := range x {
		s += uint64(expNegQ30(int64(v) - int64(m)))
	}
	return m, s
}
