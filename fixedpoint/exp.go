package fixedpoint

//go:generate go run gen_tables.go

// Q16.16 is the format of the elementwise functions: an int32 q stands for
// q / 2^16, range [−32768, 32768), step 2^-16 ≈ 1.53e-5.
const (
	FracQ16 = 16
	OneQ16  = 1 << FracQ16
)

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

// Exp returns e^x for x and the result in Q16.16:
//
//	return round(exp(x / 2^16) · 2^16)     // saturated to 2^31 − 1
//
// The input is exact and covers the whole int32 range; results below half a
// step round to 0 (x < −11.78) and x ≥ ln(32768) ≈ 10.397 saturates.
// Error, measured against math.Exp over the input range (TestExpAccuracy):
// |Exp(x) − e^x| ≤ 0.5 step + 1.0e-6·e^x (interpolation, 0.92e-6 theoretical).
func Exp(x int32) int32 {
	t := int64(x) * log2eQ30 // y = x·log2(e) in Q46, |t| < 2^62
	n, m := exp2Parts(t)
	// e^x = m·2^(n−30); in Q16 that is m·2^(n−14).
	s := n - 14
	if s >= 0 {
		if s > 1 {
			return maxInt32
		}
		return Sat32(int64(m) << uint(s))
	}
	if s < -63 {
		return 0
	}
	return int32(RoundShift64(int64(m), uint(-s)))
}

// expNegQ30 returns round(e^(d/2^16) · 2^30) for d ≤ 0 (Q16.16 in, Q2.30
// out), the finer-grained exp that log-sum-exp sums. d ≥ −2^32.
func expNegQ30(d int64) int64 {
	n, m := exp2Parts(d * log2eQ30)
	if n >= 0 {
		return int64(m) // d == 0 (n == 0): m == 2^30
	}
	if n < -63 {
		return 0
	}
	return RoundShift64(int64(m), uint(-n))
}
