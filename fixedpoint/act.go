package fixedpoint

// ActKind selects the elementwise function a layer applies after
// requantisation.
type ActKind uint8

// Activation kinds.
const (
	ActNone ActKind = iota // y = v
	ActReLU                // y = max(v, 0)
)

// Act is a layer's output function, applied to the requantised int32 value v
// before it is saturated to int16. The zero value is ActNone.
type Act struct {
	Kind ActKind
}

// Apply computes the activation of v and saturates it to int16:
//
//	if a.Kind == ActReLU { v = max(v, 0) }
//	return Sat16(v)
//
// Kinds other than ActReLU leave v as it is.
func (a Act) Apply(v int32) int16 {
	if a.Kind == ActReLU && v < 0 {
		return 0
	}
	return Sat16(v)
}
