package fixedpoint

//go:generate go run gen_tables.go

// Exp and log-sum-exp work on int64 values in any Q format with frac ≤ 62
// fractional bits (for example Q51.12). The internal resolution is 2^-30:
// for frac > 30 inputs are first rounded to Q33.30 and results are computed
// in Q33.30 and shifted back, so the rounding step in the error bounds is
// 2^-min(frac, 30).

// MaxFracQ is the largest fractional width ExpQ and LogSumExpQ accept;
// larger values are treated as MaxFracQ.
const MaxFracQ = 62

// fracInternal is the finest fractional width the functions compute in.
const fracInternal = 30

// exp2Parts splits y = t / 2^46 into its integer part n = floor(y) and the
// mantissa 2^(y−n) in Q2.30, read from exp2Table with linear interpolation
// on the next 16 fraction bits:
//
//	i, w := frac(y)·256, frac(y)·256 − i      // w in Q0.16
//	m = exp2Table[i] + round((exp2Table[i+1] − exp2Table[i]) · w)
func exp2Parts(t int64) (n int64, m uint32) {
	n = t >> 46
	f := uint64(t) & (1<<46 - 1)
	i := f >> 38
	w := uint32(f>>22) & 0xFFFF
	a, b := exp2Table[i], exp2Table[i+1]
	m = a + uint32((uint64(b-a)*uint64(w)+1<<15)>>16)
	return n, m
}

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
// 2^-90 there). Error against math.Exp (TestExpQAccuracy), with
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
