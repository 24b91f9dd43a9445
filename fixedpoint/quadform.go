package fixedpoint

// QuadFormActive returns the quadratic form hᵀ·G·h of a ReLU layer's output h
// summed over its active units only, for an n×n int32 matrix G (row-major,
// n = len(h)) and the indices active of the entries of h that may be
// non-zero. Each row sum is rescaled by 2^-shift (rounded, ties away from
// zero, for shift ≥ 0; a saturating left shift for shift < 0) before it is
// multiplied by h[i]:
//
//	var s int64
//	for _, i := range active {
//		var t int64
//		for _, j := range active { t += int64(g[i*n+j]) * h[j] }
//		if shift >= 0 { t = RoundShift64(t, shift) } else { t = ShiftLeftSat64(t, -shift) }
//		s += h[i] * t
//	}
//	return s
//
// When active lists every index with h[i] ≠ 0 once, the result is hᵀGh
// with one rounding per active row; the inactive rows and columns of G are never
// read, so a pass costs len(active)² multiply-accumulates instead of n².
// If G holds a real matrix scaled by 2^shift and h is Qf, the result is
// Q(2f).
//
// Overflow bound. Let A = len(active), H = max|h[i]| and M = max|g[i*n+j]|
// over the active rows and columns. Every partial row sum satisfies
// |t| ≤ A·M·H, and the rescaled row sum |t'| ≤ A·M·H·2^-shift + 1/2, so the
// result is exact when
//
//	(1) A·M·H ≤ 2^62                            (the rounding's range)
//	(2) A·H·(A·M·H·2^-shift + 1) < 2^63         (the outer sum)
//
// For example A ≤ 256, H ≤ 2^20 and M < 2^31 give (1) with A·M·H < 2^59,
// and (2) for every shift ≥ 24 (TestQuadFormActiveBound: with every entry
// at its maximum the result is exact at shift = 24 and wraps at 23).
//
// shift must be at most 62. The indices in active must lie in [0, n) and
// len(g) must be at least n²; otherwise the kernel panics with an index out
// of range, as a slice expression would.
func QuadFormActive(g []int32, h []int64, active []int32, shift int) int64 {
	n := len(h)
	var s int64
	for _, i := range active {
		row := g[int(i)*n : int(i)*n+n]
		row = row[:len(h)] // one bounds check per term: j < len(h) covers row[j]
		var t int64
		for _, j := range active {
			hj := h[j]
			t += int64(row[j]) * hj
		}
		if shift >= 0 {
			// Same result as RoundShift64 inside bound (1), without its
			// data-dependent branch.
			t = MulRoundShift64(t, 1, uint(shift))
		} else {
			t = ShiftLeftSat64(t, uint(-shift))
		}
		s += h[i] * t
	}
	return s
}
