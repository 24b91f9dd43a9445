package fixedpoint

// A fully connected layer on int16 activations. Weights are row-major,
// len(w) == len(dst)·len(x), row o holding the weights of output o. The bias
// is in accumulator units (scale_x · scale_w[o]); nil means zero. rq holds
// one Requant per output (per-channel scales) or a single one for all. The
// kernel allocates nothing.

// DenseI16 computes a fully connected layer with int16 weights and an int64
// bias:
//
//	for o := range dst {
//		acc := bias[o]
//		for i := range x { acc += int64(w[o*len(x)+i]) * int64(x[i]) }
//		dst[o] = act.Apply(rq[o].Apply64(acc)) // rq[0] if len(rq) == 1
//	}
//
// The accumulator is exact for len(x) < 2^32 and |bias[o]| < 2^62, since
// every product is at most 2^30 in magnitude.
func DenseI16(dst, x []int16, w []int16, bias []int64, rq []Requant, act Act) error {
	if err := checkDense("DenseI16", len(dst), len(x), len(w), len(bias), len(rq)); err != nil {
		return err
	}
	n := len(x)
	for o := range dst {
		acc := DotI16(w[o*n:o*n+n], x)
		if len(bias) != 0 {
			acc += bias[o]
		}
		dst[o] = act.Apply(rqAt(rq, o).Apply64(acc))
	}
	return nil
}

func rqAt(rq []Requant, o int) Requant {
	if len(rq) == 1 {
		return rq[0]
	}
	return rq[o]
}

func checkDense(op string, nOut, nIn, nW, nBias, nRq int) error {
	if int64(nW) != int64(nOut)*int64(nIn) { // int64: no wrap-around on 32-bit ARM
		return shapeErr(op, "len(w)", nW, nOut*nIn)
	}
	if nBias != 0 && nBias != nOut {
		return shapeErr(op, "len(bias)", nBias, nOut)
	}
	if nRq != 1 && nRq != nOut {
		return shapeErr(op, "len(rq)", nRq, nOut)
	}
	return nil
}
