package fixedpoint

// Requant is a real multiplier r > 0 held as an integer multiplier and a
// power-of-two shift, the way CMSIS-NN and gemmlowp rescale accumulators:
//
//	r ≈ M · 2^(Shift − 31),   M in [2^30, 2^31)   (M == 0 means r == 0)
//
// A Requant is made once at quantisation time by NewRequant (float side);
// applying it uses integers only. RequantMinShift and RequantMaxShift bound
// Shift, so r spans about [2^-32, 2^31).
type Requant struct {
	M     int32
	Shift int32
}

// Shift bounds of a valid Requant.
const (
	RequantMinShift = -31
	RequantMaxShift = 31
)

// Apply64 rescales a 64-bit accumulator with a single rounding (ties away
// from zero) and saturation:
//
//	return Sat32(round(acc · q.M / 2^(31−q.Shift)))
//
// The product is formed in 128 bits, so it is exact for every int64 acc
// (TestRequantExact compares with big-integer arithmetic). M ≤ 0 gives 0.
func (q Requant) Apply64(acc int64) int32 {
	if q.M <= 0 || acc == 0 {
		return 0
	}
	n := 31 - q.Shift
	if n >= 1 {
		return Sat32(mulShiftRound64(acc, uint64(q.M), uint(n)))
	}
	// r ≥ 1/2: pre-shift (saturating) and keep one bit for the rounding.
	return Sat32(mulShiftRound64(ShiftLeftSat64(acc, uint(1-n)), uint64(q.M), 1))
}
