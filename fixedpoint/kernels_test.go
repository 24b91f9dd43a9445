package fixedpoint

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

// randI16 fills a slice with int16 values spread over ±lim.
func randI16(r *Rand, n int, lim int32) []int16 {
	v := make([]int16, n)
	for i := range v {
		v[i] = int16(r.Intn(2*lim+1) - lim)
	}
	return v
}

func randI8(r *Rand, n int) []int8 {
	v := make([]int8, n)
	for i := range v {
		v[i] = int8(r.Intn(255) - 127)
	}
	return v
}

var acts = []Act{{}, {Kind: ActReLU}, {Kind: ActLeaky, Leak: 3277}, {Kind: ActClamp, Lo: -100, Hi: 2000}}

// TestDenseSemantics checks the dense kernels bit-exactly against the loop
// written in their doc comments, evaluated with exact (big-integer)
// requantisation. Tolerance: none.
func TestDenseSemantics(t *testing.T) {
	r := NewRand(6)
	for _, shape := range [][2]int{{1, 1}, {3, 7}, {16, 300}, {5, 600}} {
		out, in := shape[0], shape[1]
		x := randI16(r, in, 32768-1)
		x[0] = math.MinInt16
		w8 := randI8(r, out*in)
		w16 := randI16(r, out*in, 32767)
		b32 := make([]int32, out)
		b64 := make([]int64, out)
		rq := make([]Requant, out)
		for o := range rq {
			b32[o] = int32(r.Uint32()) >> 4
			b64[o] = int64(b32[o]) << 8
			rq[o], _ = NewRequant(math.Ldexp(1+float64(r.Uniform())*step, -int(r.Intn(20))-6))
		}
		for _, act := range acts {
			got16 := make([]int16, out)
			got32 := make([]int32, out)
			if err := DenseI8(got16, x, w8, b32, rq, act); err != nil {
				t.Fatal(err)
			}
			if err := DenseI8Q32(got32, x, w8, b32, rq); err != nil {
				t.Fatal(err)
			}
			for o := 0; o < out; o++ {
				acc := int64(b32[o])
				for i := 0; i < in; i++ {
					acc += int64(w8[o*in+i]) * int64(x[i])
				}
				if want := refRequant(rq[o], acc); got32[o] != want {
					t.Fatalf("DenseI8Q32 %v out %d = %d, want %d", shape, o, got32[o], want)
				}
				if want := act.Apply(refRequant(rq[o], acc)); got16[o] != want {
					t.Fatalf("DenseI8 %v %+v out %d = %d, want %d", shape, act, o, got16[o], want)
				}
			}
			x8 := make([]int8, in)
			for i := range x8 {
				x8[i] = int8(x[i] >> 8)
			}
			if err := DenseI8X8(got16, x8, w8, b32, rq, act); err != nil {
				t.Fatal(err)
			}
			for o := 0; o < out; o++ {
				acc := int64(b32[o])
				for i := 0; i < in; i++ {
					acc += int64(w8[o*in+i]) * int64(x8[i])
				}
				if want := act.Apply(refRequant(rq[o], acc)); got16[o] != want {
					t.Fatalf("DenseI8X8 %v out %d = %d, want %d", shape, o, got16[o], want)
				}
			}
			if err := DenseI16(got16, x, w16, b64, rq, act); err != nil {
				t.Fatal(err)
			}
			if err := DenseI16Q32(got32, x, w16, b64, rq); err != nil {
				t.Fatal(err)
			}
			for o := 0; o < out; o++ {
				acc := b64[o]
				for i := 0; i < in; i++ {
					acc += int64(w16[o*in+i]) * int64(x[i])
				}
				if want := refRequant(rq[o], acc); got32[o] != want {
					t.Fatalf("DenseI16Q32 %v out %d = %d, want %d", shape, o, got32[o], want)
				}
				if want := act.Apply(refRequant(rq[o], acc)); got16[o] != want {
					t.Fatalf("DenseI16 %v out %d = %d, want %d", shape, o, got16[o], want)
				}
			}
		}
	}
}

// TestActApply checks Act.Apply against its float64 definition; tolerance
// 0.5 (one rounding to an integer).
func TestActApply(t *testing.T) {
	for _, a := range acts {
		for _, v := range []int32{math.MinInt32, -70000, -12345, -101, -100, -7, -1, 0, 1, 1999, 2000, 2001, 40000, math.MaxInt32} {
			want := refAct(a, float64(v))
			if got := float64(a.Apply(v)); math.Abs(got-want) > 0.5 {
				t.Errorf("%+v.Apply(%d) = %v, want %v", a, v, got, want)
			}
		}
	}
	if (Act{Kind: ActClamp, Lo: 3, Hi: 2}).Valid() || (Act{Kind: 9}).Valid() || (Act{Kind: ActLeaky, Leak: -1}).Valid() {
		t.Error("Valid accepts a bad Act")
	}
}

// quantLayer is a float64 dense layer and its quantised form.
type quantLayer struct {
	in, out int
	w, b    []float64 // float reference
	sx, sy  float64   // input and output scales
	sw      []float64 // per-channel weight scales
	w8      []int8
	b32     []int32
	rq      []Requant
}

func newQuantLayer(t *testing.T, r *Rand, in, out int) *quantLayer {
	l := &quantLayer{in: in, out: out, sx: 1.0 / 256, sy: 1.0 / 128}
	l.w = make([]float64, in*out)
	l.b = make([]float64, out)
	for i := range l.w {
		l.w[i] = (float64(r.Normal()) * step) / math.Sqrt(float64(in)) * (1 + float64(i%out)) // channels of different size
	}
	for i := range l.b {
		l.b[i] = float64(r.Normal()) * step * 0.1
	}
	l.w8 = make([]int8, in*out)
	l.sw = make([]float64, out)
	l.b32 = make([]int32, out)
	l.rq = make([]Requant, out)
	for o := 0; o < out; o++ {
		s, err := QuantizeSymmetric8(l.w8[o*in:(o+1)*in], l.w[o*in:(o+1)*in])
		if err != nil {
			t.Fatal(err)
		}
		l.sw[o] = s
		l.b32[o] = int32(math.Round(l.b[o] / (l.sx * s)))
		if l.rq[o], err = NewRequant(l.sx * s / l.sy); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

// TestDenseVsFloat runs a float64 layer and its int8 quantisation on the same
// inputs. Tolerance per output o (the quantisation error budget):
//
//	0.5·sy + 0.5·sw[o]·Σ|x_i| + 0.5·sx·Σ|w_oi| + 0.25·sx·sw[o]·n + 0.5·sx·sw[o] + |y|·2^-30
func TestDenseVsFloat(t *testing.T) {
	r := NewRand(7)
	l := newQuantLayer(t, r, 128, 32)
	xf := make([]float64, l.in)
	xq := make([]int16, l.in)
	yq := make([]int16, l.out)
	worst := 0.0
	for trial := 0; trial < 50; trial++ {
		for i := range xf {
			xf[i] = float64(r.Normal()) * step * 2
			xq[i] = Sat16(ToQ(xf[i], 8))
		}
		for _, act := range []Act{{Kind: ActNone}, {Kind: ActReLU}} {
			if err := DenseI8(yq, xq, l.w8, l.b32, l.rq, act); err != nil {
				t.Fatal(err)
			}
			for o := 0; o < l.out; o++ {
				y := l.b[o]
				var sx, sw float64
				for i := 0; i < l.in; i++ {
					y += l.w[o*l.in+i] * xf[i]
					sx += math.Abs(xf[i])
					sw += math.Abs(l.w[o*l.in+i])
				}
				if act.Kind == ActReLU {
					y = math.Max(y, 0)
				}
				tol := 0.5*l.sy + 0.5*l.sw[o]*sx + 0.5*l.sx*sw + 0.25*l.sx*l.sw[o]*float64(l.in) + 0.5*l.sx*l.sw[o] + math.Abs(y)*0x1p-30
				got := float64(yq[o]) * l.sy
				if math.Abs(got-y) > tol {
					t.Fatalf("out %d: int %v, float %v, |diff| %.4g > tolerance %.4g", o, got, y, math.Abs(got-y), tol)
				}
				worst = math.Max(worst, math.Abs(got-y)/tol)
			}
		}
	}
	t.Logf("dense int8 vs float64: max |diff|/tolerance = %.3f", worst)
}

// TestConv2DVsFloat checks Conv2DI8 against a float64 convolution computed
// from the same integers; the only rounding is the final requantisation, so
// the tolerance is 0.5 output step plus 2^-30 relative.
func TestConv2DVsFloat(t *testing.T) {
	r := NewRand(8)
	shapes := []Conv2D{
		{InC: 2, InH: 16, InW: 64, OutC: 4, KH: 3, KW: 3, PadH: 1, PadW: 1},
		{InC: 3, InH: 9, InW: 11, OutC: 5, KH: 3, KW: 5, StrideH: 2, StrideW: 3, PadH: 1, PadW: 2},
		{InC: 4, InH: 1, InW: 50, OutC: 2, KH: 1, KW: 7, StrideW: 2, PadW: 3}, // 1-D
		{InC: 1, InH: 4, InW: 4, OutC: 1, KH: 4, KW: 4},
		{InC: 1, InH: 16, InW: 16, OutC: 1, KH: 16, KW: 16, PadH: 15, PadW: 15},
	}
	for _, s := range shapes {
		if err := s.Validate(); err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		oh, ow := s.OutH(), s.OutW()
		x := randI16(r, s.InC*s.InH*s.InW, 32767)
		w := randI8(r, s.OutC*s.InC*s.KH*s.KW)
		bias := make([]int32, s.OutC)
		rq := make([]Requant, s.OutC)
		for o := range rq {
			bias[o] = int32(r.Uint32()) >> 8
			rq[o], _ = NewRequant(math.Ldexp(1+float64(r.Uniform())*step, -int(r.Intn(10))-8))
		}
		for _, act := range acts {
			dst := make([]int16, s.OutC*oh*ow)
			if err := Conv2DI8(dst, x, s, w, bias, rq, act); err != nil {
				t.Fatal(err)
			}
			sh, sw := max(s.StrideH, 1), max(s.StrideW, 1)
			for oc := 0; oc < s.OutC; oc++ {
				for oy := 0; oy < oh; oy++ {
					for ox := 0; ox < ow; ox++ {
						acc := float64(bias[oc])
						for ic := 0; ic < s.InC; ic++ {
							for ky := 0; ky < s.KH; ky++ {
								for kx := 0; kx < s.KW; kx++ {
									iy, ix := oy*sh+ky-s.PadH, ox*sw+kx-s.PadW
									if iy < 0 || iy >= s.InH || ix < 0 || ix >= s.InW {
										continue
									}
									acc += float64(w[((oc*s.InC+ic)*s.KH+ky)*s.KW+kx]) * float64(x[(ic*s.InH+iy)*s.InW+ix])
								}
							}
						}
						// The activation acts on the requantised integer
						// (round, then act), as documented.
						v := acc * rq[oc].Float()
						want := refAct(act, roundAway(v))
						got := float64(dst[(oc*oh+oy)*ow+ox])
						if math.Abs(got-want) > 0.5+math.Abs(v)*0x1p-30 {
							t.Fatalf("%+v %+v at (%d,%d,%d): got %v, want %v", s, act, oc, oy, ox, got, want)
						}
					}
				}
			}
		}
	}
}

func TestConv2DErrors(t *testing.T) {
	s := Conv2D{InC: 1, InH: 4, InW: 4, OutC: 1, KH: 3, KW: 3}
	rq := []Requant{{M: 1 << 30}}
	var se *ShapeError
	if err := Conv2DI8(make([]int16, 3), make([]int16, 16), s, make([]int8, 9), nil, rq, Act{}); !errors.As(err, &se) {
		t.Errorf("short dst: %v", err)
	}
	bad := []Conv2D{
		{InC: 1, InH: 2, InW: 2, OutC: 1, KH: 3, KW: 3},
		{InC: 1, InH: 2, InW: 8, OutC: 1, KH: 3, KW: 3, StrideH: 2}, // (2−3)/2 + 1 truncates to 1
		{InC: 1, InH: 8, InW: 2, OutC: 1, KH: 3, KW: 3, StrideW: 5},
		{InC: 0, InH: 2, InW: 2, OutC: 1, KH: 1, KW: 1},
		{InC: 1, InH: 4, InW: 4, OutC: 1, KH: 3, KW: 3, PadH: 3},
		{InC: 1, InH: 40, InW: 40, OutC: 1, KH: 17, KW: 17},
		{InC: 1, InH: 4, InW: 4, OutC: 1, KH: 3, KW: 3, StrideW: -1},
	}
	for _, b := range bad {
		if err := b.Validate(); !errors.As(err, &se) {
			t.Errorf("%+v: Validate = %v", b, err)
		}
	}
}

func TestDenseErrors(t *testing.T) {
	x := make([]int16, 4)
	rq := []Requant{{M: 1 << 30}}
	var se *ShapeError
	for name, err := range map[string]error{
		"w":    DenseI8(make([]int16, 2), x, make([]int8, 7), nil, rq, Act{}),
		"bias": DenseI16(make([]int16, 2), x, make([]int16, 8), make([]int64, 3), rq, Act{}),
		"rq":   DenseI8Q32(make([]int32, 2), x, make([]int8, 8), nil, make([]Requant, 3)),
		"mv":   MatVecI16(make([]int64, 2), make([]int16, 7), x),
		"mtv":  MatTVecI16(make([]int64, 2), make([]int16, 7), x),
	} {
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v, want *ShapeError", name, err)
		} else if se.Error() == "" {
			t.Errorf("%s: empty message", name)
		}
	}
	if _, err := QuadFormI16(make([]int16, 3), make([]int16, 2)); !errors.As(err, &se) {
		t.Errorf("QuadFormI16: %v", err)
	}
	if _, err := QuadFormI16(nil, make([]int16, QuadMaxN+1)); !errors.As(err, &se) {
		t.Errorf("QuadFormI16 too large: %v", err)
	}
}

// TestMatVecAndDot checks the exact products against naive loops.
func TestMatVecAndDot(t *testing.T) {
	r := NewRand(9)
	rows, cols := 37, 300
	w8 := randI8(r, rows*cols)
	w16 := randI16(r, rows*cols, 32767)
	x := randI16(r, cols, 32767)
	xr := randI16(r, rows, 32767)
	a32 := make([]int32, cols)
	for i := range a32 {
		a32[i] = int32(r.Uint32())
	}
	mv8, mv16, mtv := make([]int64, rows), make([]int64, rows), make([]int64, cols)
	if err := MatVecI8(mv8, w8, x); err != nil {
		t.Fatal(err)
	}
	if err := MatVecI16(mv16, w16, x); err != nil {
		t.Fatal(err)
	}
	if err := MatTVecI16(mtv, w16, xr); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < rows; i++ {
		var s8, s16 int64
		for j := 0; j < cols; j++ {
			s8 += int64(w8[i*cols+j]) * int64(x[j])
			s16 += int64(w16[i*cols+j]) * int64(x[j])
		}
		if mv8[i] != s8 || mv16[i] != s16 {
			t.Fatalf("row %d: MatVecI8 %d want %d, MatVecI16 %d want %d", i, mv8[i], s8, mv16[i], s16)
		}
	}
	for j := 0; j < cols; j++ {
		var s int64
		for i := 0; i < rows; i++ {
			s += int64(w16[i*cols+j]) * int64(xr[i])
		}
		if mtv[j] != s {
			t.Fatalf("MatTVecI16 col %d = %d, want %d", j, mtv[j], s)
		}
	}
	var d int64
	for j := range x {
		d += int64(a32[j]) * int64(x[j])
	}
	if got := DotI32I16(a32, x); got != d {
		t.Fatalf("DotI32I16 = %d, want %d", got, d)
	}
	// Worst case of the int32 blocks in DotI8I16: every product −128·−32768.
	wMin := make([]int8, 1000)
	xMin := make([]int16, 1000)
	for i := range wMin {
		wMin[i], xMin[i] = math.MinInt8, math.MinInt16
	}
	if got := DotI8I16(wMin, xMin); got != 1000<<22 {
		t.Fatalf("DotI8I16 worst case = %d, want %d", got, int64(1000)<<22)
	}
	if got := DotI8(wMin, wMin); got != 1000<<14 {
		t.Fatalf("DotI8 worst case = %d, want %d", got, 1000<<14)
	}
	long := make([]int8, 3*dotBlock8+5) // several int32 blocks
	for i := range long {
		long[i] = math.MinInt8
	}
	if got := DotI8(long, long); got != int64(len(long))<<14 {
		t.Fatalf("DotI8 long = %d, want %d", got, int64(len(long))<<14)
	}
	if got := DotI16(xMin, xMin); got != 1000<<30 {
		t.Fatalf("DotI16 worst case = %d, want %d", got, int64(1000)<<30)
	}
}

// TestQuadForm checks hᵀAh exactly against the full double loop in big
// integers, including the all-extreme case at n = QuadMaxN.
func TestQuadForm(t *testing.T) {
	r := NewRand(10)
	ref := func(a func(i, j int) int64, h []int16) *big.Int {
		s := new(big.Int)
		n := len(h)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				// upper triangle mirrored: A is symmetric by definition
				aij := a(min(i, j), max(i, j))
				s.Add(s, new(big.Int).Mul(big.NewInt(aij*int64(h[i])), big.NewInt(int64(h[j]))))
			}
		}
		return s
	}
	for _, n := range []int{0, 1, 2, 17, 64} {
		a := randI16(r, n*n, 32767)
		h := randI16(r, n, 32767)
		got, err := QuadFormI16(a, h)
		if err != nil {
			t.Fatal(err)
		}
		if want := ref(func(i, j int) int64 { return int64(a[i*n+j]) }, h); want.Cmp(big.NewInt(got)) != 0 {
			t.Fatalf("QuadFormI16 n=%d = %d, want %v", n, got, want)
		}
		a32 := make([]int32, n*n)
		// Pairs (entry magnitude, shift) within the documented precondition.
		for _, c := range [][2]uint{{16, 0}, {8, 8}, {0, 12}, {0, 20}} {
			sh := c[1]
			for i := range a32 {
				a32[i] = int32(r.Uint32()) >> c[0]
			}
			got, err := QuadFormI32(a32, h, sh)
			if err != nil {
				t.Fatal(err)
			}
			// Reference: Σ_i h_i·round(t_i / 2^sh), t_i exact.
			want := new(big.Int)
			for i := 0; i < n; i++ {
				ti := big.NewInt(int64(a32[i*n+i]) * int64(h[i]))
				for j := i + 1; j < n; j++ {
					ti.Add(ti, new(big.Int).Mul(big.NewInt(2*int64(a32[i*n+j])), big.NewInt(int64(h[j]))))
				}
				want.Add(want, new(big.Int).Mul(big.NewInt(int64(h[i])), bigRoundShift(ti, int(sh))))
			}
			if bigClamp(want, math.MinInt64, math.MaxInt64) != got {
				t.Fatalf("QuadFormI32 n=%d shift=%d = %d, want %v", n, sh, got, want)
			}
		}
	}
	n := QuadMaxN
	a := make([]int16, n*n)
	h := make([]int16, n)
	for i := range a {
		a[i] = math.MinInt16
	}
	for i := range h {
		h[i] = math.MinInt16
	}
	got, err := QuadFormI16(a, h)
	if err != nil {
		t.Fatal(err)
	}
	if got != math.MinInt64 { // −2^15·2^15·2^15·512² = −2^63 exactly
		t.Fatalf("QuadFormI16 extreme = %d, want %d", got, int64(math.MinInt64))
	}
	for i := range h {
		h[i] = math.MaxInt16 * int16(1-2*(i%2)) // alternating ±32767 against A = −32768
	}
	got, _ = QuadFormI16(a, h)
	if want := ref(func(i, j int) int64 { return math.MinInt16 }, h); want.Cmp(big.NewInt(got)) != 0 {
		t.Fatalf("QuadFormI16 alternating extreme = %d, want %v", got, want)
	}
}

// FuzzKernelShapes feeds arbitrary shapes and slice lengths to the kernels:
// they must return an error or succeed, never panic.
func FuzzKernelShapes(f *testing.F) {
	f.Add(2, 16, 64, 4, 3, 3, 1, 1, 1, 1, 2048, 8192, 72, 4)
	f.Add(1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1)
	f.Add(-1, 1<<20, 3, 0, 9, 9, 7, -2, 100, 0, 5, 5, 5, 0)
	f.Add(1, 4, 4, 1, 4, 4, 1, 1, 3, 3, 16, 1, 16, 1)
	f.Fuzz(func(t *testing.T, inC, inH, inW, outC, kh, kw, sh, sw, ph, pw, nx, nd, nw, nrq int) {
		clamp := func(n int) int { return min(max(n, 0), 1<<16) }
		s := Conv2D{InC: inC, InH: inH, InW: inW, OutC: outC, KH: kh, KW: kw, StrideH: sh, StrideW: sw, PadH: ph, PadW: pw}
		x := make([]int16, clamp(nx))
		dst := make([]int16, clamp(nd))
		w := make([]int8, clamp(nw))
		rq := make([]Requant, clamp(nrq)%5)
		_ = Conv2DI8(dst, x, s, w, nil, rq, Act{Kind: ActReLU})
		_ = DenseI8(dst, x, w, nil, rq, Act{})
		w16 := make([]int16, len(w))
		_ = DenseI16(dst, x, w16, make([]int64, clamp(nrq)%7), rq, Act{})
		_ = MatVecI16(make([]int64, len(dst)), w16, x)
		_ = MatTVecI16(make([]int64, len(dst)), w16, x)
		_, _ = QuadFormI16(w16, x[:min(len(x), 600)])
		_, _ = QuadFormI32(make([]int32, len(w)), x[:min(len(x), 100)], uint(clamp(nrq)%70))
	})
}

// TestProductsVsFloat is the float64 reference of the exact products: the
// integer result must equal the float64 sum to within the float64 rounding of
// the reference itself (n·2^-53·Σ|terms|).
func TestProductsVsFloat(t *testing.T) {
	r := NewRand(14)
	n := 200
	a := randI16(r, n*n, 32767)
	h := randI16(r, n, 32767)
	w8 := randI8(r, n)
	a32 := make([]int32, n)
	for i := range a32 {
		a32[i] = int32(r.Uint32())
	}
	type res struct {
		name string
		got  int64
		f    float64 // float64 reference
		abs  float64 // Σ|terms|
	}
	var rs []res
	var f, fa float64
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			aij := float64(a[min(i, j)*n+max(i, j)]) // upper triangle, mirrored
			v := aij * float64(h[i]) * float64(h[j])
			f += v
			fa += math.Abs(v)
		}
	}
	q, _ := QuadFormI16(a, h)
	rs = append(rs, res{"QuadFormI16", q, f, fa})
	f, fa = 0, 0
	for i := range h {
		v := float64(w8[i]) * float64(h[i])
		f, fa = f+v, fa+math.Abs(v)
	}
	rs = append(rs, res{"DotI8I16", DotI8I16(w8, h), f, fa})
	f, fa = 0, 0
	for i := range h {
		v := float64(a32[i]) * float64(h[i])
		f, fa = f+v, fa+math.Abs(v)
	}
	rs = append(rs, res{"DotI32I16", DotI32I16(a32, h), f, fa})
	mv := make([]int64, n)
	if err := MatVecI16(mv, a, h); err != nil {
		t.Fatal(err)
	}
	f, fa = 0, 0
	for j := 0; j < n; j++ {
		v := float64(a[j]) * float64(h[j])
		f, fa = f+v, fa+math.Abs(v)
	}
	rs = append(rs, res{"MatVecI16 row 0", mv[0], f, fa})
	for _, x := range rs {
		tol := float64(n*n) * 0x1p-53 * x.abs
		if math.Abs(float64(x.got)-x.f) > tol {
			t.Errorf("%s = %d, float64 %v (tolerance %.3g)", x.name, x.got, x.f, tol)
		}
	}
}
