package fixedpoint

// LogSumExpQ returns ln Σ_i e^(x[i]/2^frac) in the same format, with the
// maximum subtracted first so that no term overflows:
//
//	m := max(x)
//	s := Σ_i round(exp((x[i] − m)/2^frac) · 2^30)    // terms below e^-64 are 0
//	return m + round(ln(s / 2^30) · 2^frac)          // saturated
//
// An empty x gives math.MinInt64. The sum is exact for len(x) < 2^33.
// Error against math (TestLogSumExpQAccuracy): ≤ 2^-min(frac,30) + 2.5e-6
// + n·2^-31 (0.5·2^-frac instead of 2^-min(frac,30) for frac ≤ 30).
func LogSumExpQ(x []int64, frac uint) int64 {
	if len(x) == 0 {
		return minInt64
	}
	frac = min(frac, MaxFracQ)
	m, s := lseSumQ(x, frac)
	return AddSat64(m, fromQ30(lnQ30(s, 30), frac))
}

// fromQ30 converts a Q30 value to Q(frac): rounding right shift or
// saturating left shift.
func fromQ30(v int64, frac uint) int64 {
	if frac > fracInternal {
		return ShiftLeftSat64(v, frac-fracInternal)
	}
	return RoundShift64(v, fracInternal-frac)
}

func lseSumQ(x []int64, frac uint) (m int64, s uint64) {
	m = x[0]
	for _, v := range x[1:] {
		m = max(m, v)
	}
	// Differences are evaluated with at most fracInternal fractional bits.
	var pre uint
	if frac > fracInternal {
		pre, frac = frac-fracInternal, fracInternal
	}
	lim := int64(64) << frac
	for _, v := range x {
		d := v - m // ≤ 0; wraps only if the spread exceeds 2^63, treated as far below
		if d > 0 {
			continue
		}
		d = RoundShift64(d, pre)
		if d <= -lim {
			continue
		}
		n, mant := exp2Parts(log2eQ46(d, frac))
		if n < -63 {
			continue
		}
		s += uint64(RoundShift64(int64(mant), uint(-n)))
	}
	return m, s
}
