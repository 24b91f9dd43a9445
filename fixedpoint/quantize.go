package fixedpoint

import (
	"fmt"
	"math"
)

// This file is the float side of the package: it turns real scales into
// integer parameters at quantisation time (NewRequant) and converts values
// at a scorer's float boundary (ToQ, FromQ). Nothing here is called on the
// integer score path, and the integer-only check (intcheck) excludes this
// file.

// NewRequant returns the Requant closest to the real multiplier r > 0:
// M = round(m·2^31), Shift = e, where r = m·2^e with m in [0.5, 1) (frexp).
// r == 0 gives the zero Requant. It fails for negative, NaN or infinite r and
// for r outside [2^-32, 2^31).
func NewRequant(r float64) (Requant, error) {
	if r == 0 {
		return Requant{}, nil
	}
	if !(r > 0) || math.IsInf(r, 0) {
		return Requant{}, fmt.Errorf("fixedpoint: requant multiplier %v: %w", r, ErrRange)
	}
	m, e := math.Frexp(r)
	mi := int64(math.Round(m * (1 << 31)))
	if mi == 1<<31 { // m rounded up to 1.0
		mi /= 2
		e++
	}
	if e < RequantMinShift || e > RequantMaxShift {
		return Requant{}, fmt.Errorf("fixedpoint: requant multiplier %v outside [2^-32, 2^31): %w", r, ErrRange)
	}
	return Requant{M: int32(mi), Shift: int32(e)}, nil
}

// ToQ rounds v·2^frac to the nearest int32 (ties away from zero), clamped.
func ToQ(v float64, frac uint) int32 {
	x := math.Round(math.Ldexp(v, int(frac)))
	switch {
	case math.IsNaN(x):
		return 0
	case x >= maxInt32:
		return maxInt32
	case x <= minInt32:
		return minInt32
	}
	return int32(x)
}

// FromQ returns x·2^-frac.
func FromQ(x int64, frac uint) float64 { return math.Ldexp(float64(x), -int(frac)) }
