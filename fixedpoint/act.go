package fixedpoint

// ActKind selects the elementwise function a layer applies after
// requantisation.
type ActKind uint8

// Activation kinds.
const (
	ActNone  ActKind = iota // y = v
	ActReLU                 // y = max(v, 0)
	ActLeaky                // y = v if v ≥ 0, else round(v·Leak / 2^15)
	ActClamp                // y = min(max(v, Lo), Hi)
)

// Act is a layer's output function, applied to the requantised int32 value v
// before it is saturated to int16. The zero value is ActNone.
type Act struct {
	Kind ActKind
	// Leak is the negative slope of ActLeaky in Q0.15 (0.01 → 328).
	Leak int16
	// Lo and Hi bound ActClamp, in output units.
	Lo, Hi int16
}

// Valid reports whether a is a known kind with Lo ≤ Hi for ActClamp and
// 0 ≤ Leak for ActLeaky.
func (a Act) Valid() bool {
	switch a.Kind {
	case ActNone, ActReLU:
		return true
	case ActLeaky:
		return a.Leak >= 0
	case ActClamp:
		return a.Lo <= a.Hi
	}
	return false
}

// Apply computes the activation of v and saturates it to int16:
//
//	switch a.Kind {
//	case ActReLU:  v = max(v, 0)
//	case ActLeaky: if v < 0 { v = RoundShift64(int64(v)*int64(a.Leak), 15) }
//	case ActClamp: v = min(max(v, a.Lo), a.Hi)
//	}
//	return Sat16(v)
func (a Act) Apply(v int32) int16 {
	switch a.Kind {
	case ActReLU:
		if v < 0 {
			return 0
		}
	case ActLeaky:
		if v < 0 {
			v = int32(RoundShift64(int64(v)*int64(a.Leak), 15))
		}
	case ActClamp:
		if v < int32(a.Lo) {
			return a.Lo
		}
		if v > int32(a.Hi) {
			return a.Hi
		}
	}
	return Sat16(v)
}
