package fixedpoint

// softplusTable and sigmoidTable sample [0, 16] on a 1/128 grid (a shift of
// 9 in Q16.16) and hold Q2.30 values, so that interpolation adds almost no
// error before the single final rounding to Q16.16.
const (
	tableShift = 9
	tableEnd   = 16 << FracQ16
)

// interpQ30 reads a Q2.30 table on the 1/128 grid at a in [0, 16) (Q16.16)
// with linear interpolation and returns a Q2.30 value:
//
//	i, w := a >> 9, a & 511
//	return t[i] + round((t[i+1] − t[i]) · w / 512)
func interpQ30(t *[2049]int32, a int32) int64 {
	i := a >> tableShift
	w := int64(a & (1<<tableShift - 1))
	lo, hi := int64(t[i]), int64(t[i+1])
	return lo + RoundShift64((hi-lo)*w, tableShift)
}

// absQ16 returns |x| as int64 (exact for math.MinInt32).
func absQ16(x int32) int64 {
	if x < 0 {
		return -int64(x)
	}
	return int64(x)
}

// Softplus returns ln(1 + e^x) for x and result in Q16.16:
//
//	return max(x, 0) + round(ln(1 + exp(−|x|)) · 2^16)   // saturated
//
// The correction term comes from softplusTable (1/128 grid on [0, 16],
// linear interpolation, Q2.30) and is 0 for |x| ≥ 16, where it is below
// 1.2e-7. Error against math (TestElementwiseAccuracy): ≤ 0.65 step
// (1.0e-5), all x.
func Softplus(x int32) int32 {
	a := absQ16(x)
	var g int32
	if a < tableEnd {
		g = int32(RoundShift64(interpQ30(&softplusTable, int32(a)), 14))
	}
	if x > 0 {
		return AddSat32(x, g)
	}
	return g
}

// sigmoidQ30 returns σ(x) in Q2.30.
func sigmoidQ30(x int32) int64 {
	a := absQ16(x)
	s := int64(1 << 30)
	if a < tableEnd {
		s = interpQ30(&sigmoidTable, int32(a))
	}
	if x < 0 {
		return 1<<30 - s
	}
	return s
}

// Sigmoid returns the logistic function 1/(1 + e^−x) for x and result in
// Q16.16 (result in [0, 65536]):
//
//	s := σ(|x|) in Q2.30                 // sigmoidTable; 1 for |x| ≥ 16
//	if x < 0 { s = 2^30 − s }
//	return round(s / 2^14)
//
// Error against math (TestElementwiseAccuracy): ≤ 0.55 step (8.4e-6), all x.
func Sigmoid(x int32) int32 { return int32(RoundShift64(sigmoidQ30(x), 14)) }

// LogSigmoid returns ln σ(x) = −Softplus(−x) in Q16.16, same error as
// Softplus.
func LogSigmoid(x int32) int32 { return -Softplus(SubSat32(0, x)) }

// Tanh returns tanh(x) = 2σ(2x) − 1 for x and result in Q16.16 (result in
// [−65536, 65536]), from the Q2.30 sigmoid with a single final rounding.
// Error against math (TestElementwiseAccuracy): ≤ 0.6 step (9.2e-6), all x.
func Tanh(x int32) int32 {
	return int32(RoundShift64(2*sigmoidQ30(AddSat32(x, x))-1<<30, 14))
}
