package likelihood

import "github.com/sensortrust/trustagent/fixedpoint"

// Integer arithmetic of the fixed-point score path that is specific to this
// package's quantised network. Everything else (dot products, the quadratic
// form, exp, log-sum-exp, rounding shifts and the random generator) comes
// from package fixedpoint. The score path is integer-only (checked by
// TestScorePathIsIntegerOnly and TestScorePathTypeCheck) and gives the same
// bits on every GOARCH.
//
// Values are Q12 (value·4096) in int64 unless a name says otherwise.

const (
	fracBits = 12
	one      = 1 << fracBits
	// inputFrac: the model input is int16 Q11 (quantizeInput, inputScale).
	inputFrac = 11
)

// requant returns round(acc·m / 2^sh), ties away from zero, for a qnet
// multiplier m < 2^15 and a shift sh in [0, 62]:
//
//	return fixedpoint.RoundShift64(acc*m, sh)
//
// computed by fixedpoint.MulRoundShift64 (same result, no data-dependent
// branch), whose range |acc·m| ≤ 2^62 holds because |acc| < 2^47: the
// activation clamp (±2^20) and qnet's size limits bound every accumulator.
// It is not a fixedpoint.Requant: qnet stores 15-bit multipliers with right
// shifts up to 62 (the bundle format), which Requant's M in [2^30, 2^31)
// and Shift ≥ −31 cannot all express, and Requant saturates to int32 while
// these Q12 values are int64.
func requant(acc int64, m int64, sh int) int64 {
	return fixedpoint.MulRoundShift64(acc, m, uint(sh))
}
