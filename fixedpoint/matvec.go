package fixedpoint

// Matrix-vector products and the symmetric quadratic form, with exact int64
// results. Matrices are row-major. A Gaussian log-likelihood with a linear
// last layer x̂ = W·h + b expands into const + lᵀh + hᵀAh; these kernels
// evaluate the linear term (MatTVecI16 once per frame, then DotI32I16) and the
// quadratic term (QuadFormI16) in O(len(h)²) per pass.

// MatVecI8 computes dst = W·x for an int8 matrix W with len(dst) rows:
//
//	for r := range dst {
//		dst[r] = 0
//		for c := range x { dst[r] += int64(w[r*len(x)+c]) * int64(x[c]) }
//	}
func MatVecI8(dst []int64, w []int8, x []int16) error {
	if int64(len(w)) != int64(len(dst))*int64(len(x)) {
		return shapeErr("MatVecI8", "len(w)", len(w), len(dst)*len(x))
	}
	n := len(x)
	for r := range dst {
		dst[r] = DotI8I16(w[r*n:r*n+n], x)
	}
	return nil
}

// MatVecI16 computes dst = W·x for an int16 matrix W with len(dst) rows:
//
//	for r := range dst {
//		dst[r] = 0
//		for c := range x { dst[r] += int64(w[r*len(x)+c]) * int64(x[c]) }
//	}
func MatVecI16(dst []int64, w []int16, x []int16) error {
	if int64(len(w)) != int64(len(dst))*int64(len(x)) {
		return shapeErr("MatVecI16", "len(w)", len(w), len(dst)*len(x))
	}
	n := len(x)
	for r := range dst {
		dst[r] = DotI16(w[r*n:r*n+n], x)
	}
	return nil
}

// MatTVecI16 computes dst = Wᵀ·x for an int16 matrix W with len(x) rows and
// len(dst) columns, walking W row by row (cache friendly):
//
//	for c := range dst { dst[c] = 0 }
//	for r := range x {
//		for c := range dst { dst[c] += int64(w[r*len(dst)+c]) * int64(x[r]) }
//	}
func MatTVecI16(dst []int64, w []int16, x []int16) error {
	if int64(len(w)) != int64(len(dst))*int64(len(x)) {
		return shapeErr("MatTVecI16", "len(w)", len(w), len(dst)*len(x))
	}
	clear(dst)
	n := len(dst)
	r := 0
	// Four rows per sweep: each dst[c] is read and written once per four
	// products instead of once per product.
	for ; r+4 <= len(x); r += 4 {
		x0, x1, x2, x3 := int32(x[r]), int32(x[r+1]), int32(x[r+2]), int32(x[r+3])
		w0 := w[r*n : r*n+n]
		w1 := w[(r+1)*n : (r+1)*n+n]
		w2 := w[(r+2)*n : (r+2)*n+n]
		w3 := w[(r+3)*n : (r+3)*n+n]
		d := dst[:len(w0)]
		w1, w2, w3 = w1[:len(d)], w2[:len(d)], w3[:len(d)]
		for c := range d {
			d[c] += int64(int32(w0[c])*x0) + int64(int32(w1[c])*x1) +
				int64(int32(w2[c])*x2) + int64(int32(w3[c])*x3)
		}
	}
	for ; r < len(x); r++ {
		xv := int32(x[r])
		row := w[r*n : r*n+n]
		d := dst[:len(row)]
		for c, v := range row {
			d[c] += int64(int32(v) * xv)
		}
	}
	return nil
}

// QuadMaxN is the largest dimension for which QuadFormI16 is exact for every
// input: n² · 2^45 < 2^63.
const QuadMaxN = 512

// QuadFormI16 returns hᵀ·A·h for a symmetric n×n int16 matrix A (row-major,
// n = len(h)), reading only its upper triangle (the lower one is never read):
//
//	var s int64
//	for i := range h {
//		for j := range h { s += int64(a[i*n+j]) * int64(h[i]) * int64(h[j]) }
//	}
//	return s
//
// which it evaluates as Σ_i h_i·(A_ii·h_i + 2·Σ_{j>i} A_ij·h_j), about n²/2
// multiply-accumulates. Exact for n ≤ QuadMaxN; larger n is an error.
func QuadFormI16(a []int16, h []int16) (int64, error) {
	n := len(h)
	if n > QuadMaxN {
		return 0, shapeErr("QuadFormI16", "len(h)", n, QuadMaxN)
	}
	if len(a) != n*n {
		return 0, shapeErr("QuadFormI16", "len(a)", len(a), n*n)
	}
	var s int64
	for i, hi := range h {
		if hi == 0 {
			continue
		}
		row := a[i*n : i*n+n]
		t := 2*DotI16(row[i+1:], h[i+1:]) + int64(int32(row[i])*int32(hi))
		s += t * int64(hi)
	}
	return s, nil
}

// QuadFormI32 returns hᵀ·A·h for a symmetric n×n int32 matrix A, scaled down
// by 2^shift inside the sum to stay in int64:
//
//	var s int64
//	for i := range h {
//		t := A_ii·h_i + 2·Σ_{j>i} A_ij·h_j            // exact, int64
//		s += int64(h[i]) * RoundShift64(t, shift)      // saturating
//	}
//	return s
//
// Choose shift so that |t| / 2^shift < 2^47; then the result is exact up to
// the rounding of each t (at most n·2^15·2^(shift−1) in units of s·2^shift).
// n ≤ 2^15.
func QuadFormI32(a []int32, h []int16, shift uint) (int64, error) {
	n := len(h)
	if n > 1<<15 {
		return 0, shapeErr("QuadFormI32", "len(h)", n, 1<<15)
	}
	if len(a) != n*n {
		return 0, shapeErr("QuadFormI32", "len(a)", len(a), n*n)
	}
	var s int64
	for i, hi := range h {
		if hi == 0 {
			continue
		}
		row := a[i*n : i*n+n]
		upper := row[i+1:]
		hu := h[i+1:]
		hu = hu[:len(upper)]
		var t int64
		for j, v := range upper {
			t += int64(v) * int64(hu[j])
		}
		t = 2*t + int64(row[i])*int64(hi)
		s = AddSat64(s, int64(hi)*RoundShift64(t, shift))
	}
	return s, nil
}
