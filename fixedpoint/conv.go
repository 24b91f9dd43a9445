package fixedpoint

// Conv2D is the shape of a 2-D convolution over one image in CHW layout
// (channel, row, column). Weights are [OutC][InC][KH][KW]; zero padding.
// A 1-D convolution is InH == KH == 1.
type Conv2D struct {
	InC, InH, InW    int
	OutC             int
	KH, KW           int
	StrideH, StrideW int // 0 means 1
	PadH, PadW       int
}

func (c Conv2D) strides() (int, int) { return max(c.StrideH, 1), max(c.StrideW, 1) }

// OutH returns the output height (InH + 2·PadH − KH)/StrideH + 1.
func (c Conv2D) OutH() int {
	sh, _ := c.strides()
	return (c.InH+2*c.PadH-c.KH)/sh + 1
}

// OutW returns the output width (InW + 2·PadW − KW)/StrideW + 1.
func (c Conv2D) OutW() int {
	_, sw := c.strides()
	return (c.InW+2*c.PadW-c.KW)/sw + 1
}

// Conv2D size limits: ConvMaxTaps bounds KH·KW so that one channel's taps
// sum exactly in int32; ConvMaxDim and ConvMaxElems keep every index
// computation inside a 32-bit int (int is 32 bits on ARM).
const (
	ConvMaxTaps  = 256
	ConvMaxDim   = 1 << 14
	ConvMaxElems = 1 << 26
)

// Validate reports whether the shape is usable: positive sizes, kernel no
// larger than the padded input, KH·KW ≤ ConvMaxTaps, non-negative padding
// smaller than the kernel.
func (c Conv2D) Validate() error {
	switch {
	case c.InC <= 0 || c.InH <= 0 || c.InW <= 0 || c.OutC <= 0 || c.KH <= 0 || c.KW <= 0:
		return shapeErr("Conv2D", "a size", 0, 1)
	case c.InC > ConvMaxDim || c.InH > ConvMaxDim || c.InW > ConvMaxDim || c.OutC > ConvMaxDim || c.KH > ConvMaxDim || c.KW > ConvMaxDim:
		return shapeErr("Conv2D", "a size", max(c.InC, c.InH, c.InW, c.OutC, c.KH, c.KW), ConvMaxDim)
	case int64(c.InC)*int64(c.InH)*int64(c.InW) > ConvMaxElems || int64(c.OutC)*int64(c.InC)*int64(c.KH)*int64(c.KW) > ConvMaxElems:
		return shapeErr("Conv2D", "tensor size", 0, ConvMaxElems)
	case c.StrideH < 0 || c.StrideW < 0 || c.StrideH > ConvMaxDim || c.StrideW > ConvMaxDim:
		return shapeErr("Conv2D", "stride", -1, 1)
	case c.KH*c.KW > ConvMaxTaps:
		return shapeErr("Conv2D", "KH·KW", c.KH*c.KW, ConvMaxTaps)
	case c.PadH < 0 || c.PadH >= c.KH:
		return shapeErr("Conv2D", "PadH", c.PadH, c.KH-1)
	case c.PadW < 0 || c.PadW >= c.KW:
		return shapeErr("Conv2D", "PadW", c.PadW, c.KW-1)
	case c.InH+2*c.PadH < c.KH:
		return shapeErr("Conv2D", "padded input height", c.InH+2*c.PadH, c.KH)
	case c.InW+2*c.PadW < c.KW:
		return shapeErr("Conv2D", "padded input width", c.InW+2*c.PadW, c.KW)
	case c.OutH() <= 0:
		return shapeErr("Conv2D", "output height", c.OutH(), 1)
	case c.OutW() <= 0:
		return shapeErr("Conv2D", "output width", c.OutW(), 1)
	}
	return nil
}

// Conv2DI8 computes a 2-D convolution with int8 weights, per-output-channel
// requantisation and activation, writing OutC·OutH·OutW values to dst:
//
//	for oc, oy, ox := range outputs {
//		acc := int64(bias[oc])
//		for ic, ky, kx := range kernel {
//			iy, ix := oy*StrideH+ky-PadH, ox*StrideW+kx-PadW
//			if inside(iy, ix) { acc += int64(w[oc][ic][ky][kx]) * int64(x[ic][iy][ix]) }
//		}
//		dst[oc][oy][ox] = act.Apply(rq[oc].Apply64(acc)) // rq[0] if len(rq) == 1
//	}
func Conv2DI8(dst, x []int16, s Conv2D, w []int8, bias []int32, rq []Requant, act Act) error {
	const op = "Conv2DI8"
	if err := s.Validate(); err != nil {
		return err
	}
	oh, ow := s.OutH(), s.OutW()
	switch {
	case len(x) != s.InC*s.InH*s.InW:
		return shapeErr(op, "len(x)", len(x), s.InC*s.InH*s.InW)
	case int64(len(dst)) != int64(s.OutC)*int64(oh)*int64(ow):
		return shapeErr(op, "len(dst)", len(dst), s.OutC*oh*ow)
	case len(w) != s.OutC*s.InC*s.KH*s.KW:
		return shapeErr(op, "len(w)", len(w), s.OutC*s.InC*s.KH*s.KW)
	case len(bias) != 0 && len(bias) != s.OutC:
		return shapeErr(op, "len(bias)", len(bias), s.OutC)
	case len(rq) != 1 && len(rq) != s.OutC:
		return shapeErr(op, "len(rq)", len(rq), s.OutC)
	}
	sh, sw := s.strides()
	plane := s.InH * s.InW
	kSize := s.KH * s.KW
	for oc := 0; oc < s.OutC; oc++ {
		var b int64
		if len(bias) != 0 {
			b = int64(bias[oc])
		}
		r := rqAt(rq, oc)
		wc := w[oc*s.InC*kSize : (oc+1)*s.InC*kSize]
		for oy := 0; oy < oh; oy++ {
			y0 := oy*sh - s.PadH
			ky0, ky1 := max(0, -y0), min(s.KH, s.InH-y0)
			for ox := 0; ox < ow; ox++ {
				x0 := ox*sw - s.PadW
				kx0, kx1 := max(0, -x0), min(s.KW, s.InW-x0)
				acc := b
				for ic := 0; ic < s.InC; ic++ {
					xi := x[ic*plane : (ic+1)*plane]
					wk := wc[ic*kSize : (ic+1)*kSize]
					var sum int32 // |sum| ≤ KH·KW·2^22 ≤ 2^30
					for ky := ky0; ky < ky1; ky++ {
						// Taps kx0..kx1 of kernel row ky meet inputs x0+kx0.. of image row y0+ky.
						wr := wk[ky*s.KW+kx0 : ky*s.KW+kx1]
						row := xi[(y0+ky)*s.InW+x0+kx0:]
						row = row[:len(wr)]
						for k, v := range wr {
							sum += int32(v) * int32(row[k])
						}
					}
					acc += int64(sum)
				}
				dst[(oc*oh+oy)*ow+ox] = act.Apply(r.Apply64(acc))
			}
		}
	}
	return nil
}
