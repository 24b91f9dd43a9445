package fixedpoint

// Exp, log and log-sum-exp on int64 values in any Q format with frac ≤ 62
// fractional bits, for callers that keep log-domain sums in a wider or
// coarser format than Q16.16 (for example Q51.12). Same tables and the same
// relative accuracy as the Q16.16 functions. The internal resolution is
// 2^-30: for frac > 30 inputs are first rounded to Q33.30 and results are
// computed in Q33.30 and shifted back, so the rounding step in the error
// bounds is 2^-min(frac, 30).

// MaxFracQ is the largest fractional width ExpQ, LnQ, LogSumExpQ and
// LogMeanExpQ accept; larger values are treated as MaxFracQ.
const MaxFracQ = 62

// fracInternal is the finest fractional width the Q functions compute in.
const fracInternal = 30

// log2eQ46 returns round(x·2^-frac · log2(e) · 2^46) for |x| ≤ 64·2^frac
// (exact product in 128 bits where needed).
func log2eQ46(x int64, frac uint) int64 {
	if frac <= 16 {
		return x * log2eQ30 << (16 - frac) // |x·log2e| ≤ 2^(6+frac+30.6), shifted: < 2^53
	}
	return mulShiftRound64(x, log2eQ30, frac-16)
}

// ExpQ returns e^(x/2^frac) in the same format:
//
//	return round(exp(x / 2^frac) · 2^frac)      // saturated to 2^63 − 1
//
// x/2^frac ≥ 64 saturates and x/2^frac ≤ −64 gives 0 (the result is below
// 2^-90 there). Error against math.Exp (TestExpQLnQAccuracy), with
// f = min(frac, 30): ≤ 0.5·2^-f + 1.0e-6·e^(x/2^frac) (+ 2^-f·e^(x/2^frac)
// from rounding the input when frac > 30).
func ExpQ(x int64, frac uint) int64 {
	frac = min(frac, MaxFracQ)
	if frac > fracInternal {
		d := frac - fracInternal
		return ShiftLeftSat64(ExpQ(RoundShift64(x, d), fracInternal), d)
	}
	lim := int64(64) << frac
	if x >= lim {
		return maxInt64
	}
	if x <= -lim {
		return 0
	}
	n, m := exp2Parts(log2eQ46(x, frac))
	// e^v = m·2^(n−30); in Q(frac) that is m·2^(n−30+frac).
	s := n - 30 + int64(frac)
	if s >= 0 {
		return ShiftLeftSat64(int64(m), uint(s))
	}
	if s < -63 {
		return 0
	}
	return RoundShift64(int64(m), uint(-s))
}

// LnQ returns ln(x/2^frac) in the same format for x > 0, and math.MinInt64
// for x ≤ 0:
//
//	return round(ln(x / 2^frac) · 2^frac)
//
// Error against math.Log (TestExpQLnQAccuracy): ≤ 0.5·2^-min(frac,30) + 2.0e-6.
func LnQ(x int64, frac uint) int64 {
	if x <= 0 {
		return minInt64
	}
	frac = min(frac, MaxFracQ)
	l := lnQ30(uint64(x), uint32(frac))
	if frac > fracInternal {
		return ShiftLeftSat64(l, frac-fracInternal)
	}
	return RoundShift64(l, fracInternal-frac)
}

// LogSumExpQ returns ln Σ_i e^(x[i]/2^frac) in the same format, with the
// maximum subtracted first:
//
//	m := max(x)
//	s := Σ_i round(exp((x[i] − m)/2^frac) · 2^30)    // terms below e^-64 are 0
//	return m + round(ln(s / 2^30) · 2^frac)          // saturated
//
// An empty x gives math.MinInt64. Error against math
// (TestExpQLnQAccuracy): ≤ 2^-min(frac,30) + 2.5e-6 + n·2^-31 (0.5·2^-frac
// instead of 2^-min(frac,30) for frac ≤ 30).
func LogSumExpQ(x []int64, frac uint) int64 {
	if len(x) == 0 {
		return minInt64
	}
	frac = min(frac, MaxFracQ)
	m, s := lseSumQ(x, frac)
	return AddSat64(m, fromQ30(lnQ30(s, 30), frac))
}

// LogMeanExpQ returns ln((1/n) Σ_i e^(x[i]/2^frac)) in the same format,
// n = len(x), with a single final rounding; empty x gives math.MinInt64.
// Same error bound as LogSumExpQ.
func LogMeanExpQ(x []int64, frac uint) int64 {
	if len(x) == 0 {
		return minInt64
	}
	frac = min(frac, MaxFracQ)
	m, s := lseSumQ(x, frac)
	return AddSat64(m, fromQ30(lnQ30(s, 30)-lnQ30(uint64(len(x)), 0), frac))
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
