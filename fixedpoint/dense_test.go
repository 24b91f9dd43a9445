package fixedpoint

import (
	"errors"
	"math"
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

var acts = []Act{{}, {Kind: ActReLU}}

// TestDenseSemantics checks DenseI16 bit-exactly against the loop written in
// its doc comment, evaluated with exact (big-integer) requantisation.
// Tolerance: none.
func TestDenseSemantics(t *testing.T) {
	r := NewRand(6)
	for _, shape := range [][2]int{{1, 1}, {3, 7}, {16, 300}, {5, 600}} {
		out, in := shape[0], shape[1]
		x := randI16(r, in, 32767)
		x[0] = math.MinInt16
		w := randI16(r, out*in, 32767)
		bias := make([]int64, out)
		rq := make([]Requant, out)
		for o := range rq {
			bias[o] = int64(int32(r.Uint32())>>4) << 8
			rq[o], _ = NewRequant(math.Ldexp(1+float64(r.Uint32()>>16)*step, -int(r.Intn(20))-6))
		}
		for _, act := range acts {
			for _, rqs := range [][]Requant{rq, rq[:1]} {
				got := make([]int16, out)
				if err := DenseI16(got, x, w, bias, rqs, act); err != nil {
					t.Fatal(err)
				}
				for o := 0; o < out; o++ {
					acc := bias[o]
					for i := 0; i < in; i++ {
						acc += int64(w[o*in+i]) * int64(x[i])
					}
					if want := act.Apply(refRequant(rqAt(rqs, o), acc)); got[o] != want {
						t.Fatalf("DenseI16 %v %+v out %d = %d, want %d", shape, act, o, got[o], want)
					}
				}
			}
		}
	}
}

// TestActApply checks Act.Apply against its float64 definition; tolerance
// 0 (the result is an integer).
func TestActApply(t *testing.T) {
	for _, a := range acts {
		for _, v := range []int32{math.MinInt32, -70000, -12345, -1, 0, 1, 1999, 32767, 32768, 40000, math.MaxInt32} {
			if got, want := float64(a.Apply(v)), refAct(a, float64(v)); got != want {
				t.Errorf("%+v.Apply(%d) = %v, want %v", a, v, got, want)
			}
		}
	}
}

// TestDenseVsFloat runs a float64 layer and its int16 quantisation (the way
// a caller quantises: symmetric per-channel weights, bias in accumulator
// units, NewRequant) on the same inputs. Tolerance per output o, the
// quantisation error budget:
//
//	0.5·sy + 0.5·sw[o]·Σ|x_i| + 0.5·sx·Σ|w_oi| + 0.25·sx·sw[o]·n + 0.5·sx·sw[o] + |y|·2^-30
func TestDenseVsFloat(t *testing.T) {
	r := NewRand(7)
	const in, out = 128, 32
	const sx, sy = 1.0 / 256, 1.0 / 128 // Q8.8 in, Q9.7 out
	wf := make([]float64, in*out)
	bf := make([]float64, out)
	for i := range wf {
		wf[i] = float64(r.Normal()) * step / math.Sqrt(in) * (1 + float64(i%out)) // channels of different size
	}
	for i := range bf {
		bf[i] = float64(r.Normal()) * step * 0.1
	}
	wq := make([]int16, in*out)
	sw := make([]float64, out)
	bias := make([]int64, out)
	rq := make([]Requant, out)
	for o := 0; o < out; o++ {
		var m float64
		for _, v := range wf[o*in : (o+1)*in] {
			m = math.Max(m, math.Abs(v))
		}
		sw[o] = m / 32767
		for i, v := range wf[o*in : (o+1)*in] {
			wq[o*in+i] = int16(math.Round(v / sw[o]))
		}
		bias[o] = int64(math.Round(bf[o] / (sx * sw[o])))
		var err error
		if rq[o], err = NewRequant(sx * sw[o] / sy); err != nil {
			t.Fatal(err)
		}
	}
	xf := make([]float64, in)
	xq := make([]int16, in)
	yq := make([]int16, out)
	worst := 0.0
	for trial := 0; trial < 50; trial++ {
		for i := range xf {
			xf[i] = float64(r.Normal()) * step * 2
			xq[i] = Sat16(ToQ(xf[i], 8))
		}
		for _, act := range acts {
			if err := DenseI16(yq, xq, wq, bias, rq, act); err != nil {
				t.Fatal(err)
			}
			for o := 0; o < out; o++ {
				y := bf[o]
				var ax, aw float64
				for i := 0; i < in; i++ {
					y += wf[o*in+i] * xf[i]
					ax += math.Abs(xf[i])
					aw += math.Abs(wf[o*in+i])
				}
				if act.Kind == ActReLU {
					y = math.Max(y, 0)
				}
				tol := 0.5*sy + 0.5*sw[o]*ax + 0.5*sx*aw + 0.25*sx*sw[o]*in + 0.5*sx*sw[o] + math.Abs(y)*0x1p-30
				got := float64(yq[o]) * sy
				if math.Abs(got-y) > tol {
					t.Fatalf("out %d: int %v, float %v, |diff| %.4g > tolerance %.4g", o, got, y, math.Abs(got-y), tol)
				}
				worst = math.Max(worst, math.Abs(got-y)/tol)
			}
		}
	}
	t.Logf("dense int16 vs float64: max |diff|/tolerance = %.3f", worst)
}

func TestDenseErrors(t *testing.T) {
	x := make([]int16, 4)
	rq := []Requant{{M: 1 << 30}}
	var se *ShapeError
	for name, err := range map[string]error{
		"w":    DenseI16(make([]int16, 2), x, make([]int16, 7), nil, rq, Act{}),
		"bias": DenseI16(make([]int16, 2), x, make([]int16, 8), make([]int64, 3), rq, Act{}),
		"rq":   DenseI16(make([]int16, 2), x, make([]int16, 8), nil, make([]Requant, 3), Act{}),
	} {
		if !errors.As(err, &se) {
			t.Errorf("%s: error %v, want *ShapeError", name, err)
		} else if se.Error() == "" {
			t.Errorf("%s: empty message", name)
		}
	}
}

// FuzzDenseShapes feeds arbitrary slice lengths to DenseI16: it must return
// an error or succeed, never panic.
func FuzzDenseShapes(f *testing.F) {
	f.Add(64, 16, 1024, 16, 1)
	f.Add(0, 0, 0, 0, 0)
	f.Add(3, 2, 5, 7, 2)
	f.Fuzz(func(t *testing.T, nx, nd, nw, nb, nrq int) {
		clamp := func(n int) int { return min(max(n, 0), 1<<16) }
		_ = DenseI16(make([]int16, clamp(nd)), make([]int16, clamp(nx)), make([]int16, clamp(nw)),
			make([]int64, clamp(nb)%9), make([]Requant, clamp(nrq)%5), Act{Kind: ActReLU})
	})
}
