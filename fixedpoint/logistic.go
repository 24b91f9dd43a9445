package fixedpoint

// tableStep is the grid of softplusTable and sigmoidTable: 1/64 in Q16.16
// (a shift of 10), over [0, 16].
const (
	tableShift = 10
	tableEnd   = 16 << FracQ16
)

// interp16 reads a Q16.16 table on the 1/64 grid at a in [0, 16) with linear
// interpolation, rounding ties away from zero.
func interp16(t *[1025]int32, a int32) int32 {
	i := a >> tableShift
	w := a & (1<<tableShift - 1)
	lo, hi := t[i], t[i+1]
	return lo + RoundShift32((hi-lo)*w, tableShift)
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
// The correction term comes from softplusTable (1/64 grid on [0, 16],
// linear interpolation) and is 0 beyond |x| ≥ 16, where it is below 1.2e-7.
// Error against math (TestSoftplusAccuracy): ≤ 1 step (1.53e-5), all x.
func Softplus(x int32) int32 {
	a := absQ16(x)
	var g int32
	if a < tableEnd {
		g = interp16(&softplusTable, int32(a))
	}
	if x > 0 {
		return AddSat32(x, g)
	}
	return g
}

// Sigmoid returns the logistic function 1/(1 + e^−x) for x and result in
// Q16.16 (result in [0, 65536]):
//
//	s := round(σ(|x|) · 2^16)          // sigmoidTable, 1 beyond |x| ≥ 16
//	if x < 0 { s = 2^16 − s }
//	return s
//
// Error against math (TestSigmoidAccuracy): ≤ 1 step (1.53e-5), all x.
func Sigmoid(x int32) int32 {
	a := absQ16(x)
	s := int32(OneQ16)
	if a < tableEnd {
		s = interp16(&sigmoidTable, int32(a))
	}
	if x < 0 {
		return OneQ16 - s
	}
	return s
}

// LogSigmoid returns ln σ(x) = −Softplus(−x) in Q16.16.
func LogSigmoid(x int32) int32 { return -Softplus(SubSat32(0, x)) }

// Tanh returns tanh(x) = 2σ(2x) − 1 for x and result in Q16.16 (result in
// [−65536, 65536]). Error against math (TestTanhAccuracy): ≤ 2 steps, all x.
func Tanh(x int32) int32 { return 2*Sigmoid(AddSat32(x, x)) - OneQ16 }
