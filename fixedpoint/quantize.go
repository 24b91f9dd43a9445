package fixedpoint

import (
	"fmt"
	"math"
)

// This file is the float side of the package: it turns real scales into
// integer parameters at quantisation time. Nothing here is called on the
// score path, and the integer-only check (intcheck) excludes this file.

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

// Float returns the real multiplier q represents (for tests and reports).
func (q Requant) Float() float64 {
	return math.Ldexp(float64(q.M), int(q.Shift)-31)
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

// QuantizeSymmetric8 quantises one channel of weights to int8 with a symmetric
// scale s = max|w| / 127 (values in [−127, 127]; −128 is never produced) and
// writes them to dst. It returns s (1 for an all-zero channel).
func QuantizeSymmetric8(dst []int8, w []float64) (scale float64, err error) {
	if len(dst) != len(w) {
		return 0, shapeErr("QuantizeSymmetric8", "len(dst)", len(dst), len(w))
	}
	s := symScale(w, 127)
	for i, v := range w {
		dst[i] = int8(math.Max(-127, math.Min(127, math.Round(v/s))))
	}
	return s, nil
}

// QuantizeSymmetric16 is QuantizeSymmetric8 for int16 weights: s = max|w| / 32767.
func QuantizeSymmetric16(dst []int16, w []float64) (scale float64, err error) {
	if len(dst) != len(w) {
		return 0, shapeErr("QuantizeSymmetric16", "len(dst)", len(dst), len(w))
	}
	s := symScale(w, 32767)
	for i, v := range w {
		dst[i] = int16(math.Max(-32767, math.Min(32767, math.Round(v/s))))
	}
	return s, nil
}

func symScale(w []float64, qmax float64) float64 {
	var m float64
	for _, v := range w {
		m = math.Max(m, math.Abs(v))
	}
	if m == 0 || math.IsNaN(m) || math.IsInf(m, 0) {
		return 1
	}
	return m / qmax
}
