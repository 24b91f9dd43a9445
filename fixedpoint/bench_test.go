package fixedpoint

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// Benchmarks put each integer kernel beside the float64 (and where it
// matters float32) loop computing the same thing, on the same shapes.

// cpuLoop runs f b.N times and reports, beside ns/op and allocations, the
// process CPU time per operation (cpu-ns/op), which on a loaded machine is a
// steadier figure than wall time.
func cpuLoop(b *testing.B, f func()) {
	b.Helper()
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func floatVec(r *Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(r.Normal()) * step
	}
	return v
}

func denseF64(y, x, w, b []float64) {
	n := len(x)
	for o := range y {
		s := b[o]
		for i, xv := range x {
			s += w[o*n+i] * xv
		}
		y[o] = max(s, 0)
	}
}

func denseF32(y, x, w, b []float32) {
	n := len(x)
	for o := range y {
		s := b[o]
		for i, xv := range x {
			s += w[o*n+i] * xv
		}
		y[o] = max(s, 0)
	}
}

func BenchmarkDense(b *testing.B) {
	for _, sh := range [][2]int{{256, 64}, {1024, 128}} {
		in, out := sh[0], sh[1]
		r := NewRand(1)
		x := randI16(r, in, 4096)
		w8 := randI8(r, in*out)
		w16 := randI16(r, in*out, 32767)
		b32 := make([]int32, out)
		b64 := make([]int64, out)
		rq := make([]Requant, out)
		for o := range rq {
			rq[o] = Requant{M: 1<<30 + int32(o), Shift: -12}
		}
		y := make([]int16, out)
		xf, wf, bf, yf := floatVec(r, in), floatVec(r, in*out), floatVec(r, out), make([]float64, out)
		x32, w32, b32f, y32 := make([]float32, in), make([]float32, in*out), make([]float32, out), make([]float32, out)
		for i := range xf {
			x32[i] = float32(xf[i])
		}
		for i := range wf {
			w32[i] = float32(wf[i])
		}
		name := fmt.Sprintf("%dx%d", in, out)
		relu := Act{Kind: ActReLU}
		b.Run("I8/"+name, func(b *testing.B) {
			cpuLoop(b, func() {
				_ = DenseI8(y, x, w8, b32, rq, relu)
			})
		})
		x8 := make([]int8, in)
		for i := range x8 {
			x8[i] = int8(x[i] >> 5)
		}
		b.Run("I8X8/"+name, func(b *testing.B) {
			cpuLoop(b, func() {
				_ = DenseI8X8(y, x8, w8, b32, rq, relu)
			})
		})
		b.Run("I16/"+name, func(b *testing.B) {
			cpuLoop(b, func() {
				_ = DenseI16(y, x, w16, b64, rq, relu)
			})
		})
		b.Run("F64/"+name, func(b *testing.B) {
			cpuLoop(b, func() {
				denseF64(yf, xf, wf, bf)
			})
		})
		b.Run("F32/"+name, func(b *testing.B) {
			cpuLoop(b, func() {
				denseF32(y32, x32, w32, b32f)
			})
		})
	}
}

func BenchmarkConv2D(b *testing.B) {
	s := Conv2D{InC: 2, InH: 16, InW: 64, OutC: 8, KH: 3, KW: 3, PadH: 1, PadW: 1}
	r := NewRand(2)
	x := randI16(r, s.InC*s.InH*s.InW, 4096)
	w := randI8(r, s.OutC*s.InC*9)
	rq := []Requant{{M: 1 << 30, Shift: -10}}
	dst := make([]int16, s.OutC*s.OutH()*s.OutW())
	xf, wf, df := floatVec(r, len(x)), floatVec(r, len(w)), make([]float64, len(dst))
	b.Run("I8/2x16x64-8c3x3", func(b *testing.B) {
		cpuLoop(b, func() {
			_ = Conv2DI8(dst, x, s, w, nil, rq, Act{Kind: ActReLU})
		})
	})
	b.Run("F64/2x16x64-8c3x3", func(b *testing.B) {
		cpuLoop(b, func() {
			convF64(df, xf, s, wf)
		})
	})
}

func convF64(dst, x []float64, s Conv2D, w []float64) {
	oh, ow := s.OutH(), s.OutW()
	for oc := 0; oc < s.OutC; oc++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var acc float64
				for ic := 0; ic < s.InC; ic++ {
					for ky := 0; ky < s.KH; ky++ {
						iy := oy + ky - s.PadH
						if iy < 0 || iy >= s.InH {
							continue
						}
						for kx := 0; kx < s.KW; kx++ {
							ix := ox + kx - s.PadW
							if ix < 0 || ix >= s.InW {
								continue
							}
							acc += w[((oc*s.InC+ic)*s.KH+ky)*s.KW+kx] * x[(ic*s.InH+iy)*s.InW+ix]
						}
					}
				}
				dst[(oc*oh+oy)*ow+ox] = max(acc, 0)
			}
		}
	}
}

func quadF64(a, h []float64) float64 {
	n := len(h)
	var s float64
	for i, hi := range h {
		t := a[i*n+i] * hi
		var u float64
		for j := i + 1; j < n; j++ {
			u += a[i*n+j] * h[j]
		}
		s += (t + 2*u) * hi
	}
	return s
}

// BenchmarkQuadForm is the per-pass cost of the decoder re-fit trick.
func BenchmarkQuadForm(b *testing.B) {
	for _, n := range []int{32, 64, 128} {
		r := NewRand(3)
		a := randI16(r, n*n, 32767)
		h := randI16(r, n, 32767)
		af, hf := floatVec(r, n*n), floatVec(r, n)
		b.Run(fmt.Sprintf("I16/n=%d", n), func(b *testing.B) {
			cpuLoop(b, func() {
				_, _ = QuadFormI16(a, h)
			})
		})
		b.Run(fmt.Sprintf("F64/n=%d", n), func(b *testing.B) {
			cpuLoop(b, func() {
				_ = quadF64(af, hf)
			})
		})
	}
}

func BenchmarkMatTVec(b *testing.B) {
	rows, cols := 2048, 64 // pixels × hidden: the once-per-frame linear term
	r := NewRand(4)
	w := randI16(r, rows*cols, 32767)
	x := randI16(r, rows, 32767)
	dst := make([]int64, cols)
	wf, xf, df := floatVec(r, rows*cols), floatVec(r, rows), make([]float64, cols)
	b.Run("I16/2048x64", func(b *testing.B) {
		cpuLoop(b, func() {
			_ = MatTVecI16(dst, w, x)
		})
	})
	b.Run("F64/2048x64", func(b *testing.B) {
		cpuLoop(b, func() {
			clear(df)
			for i, xv := range xf {
				row := wf[i*cols : (i+1)*cols]
				for j, v := range row {
					df[j] += v * xv
				}
			}
		})
	})
}

// sinkI and sinkF keep results alive.
var (
	sinkI int32
	sinkF float64
)

func BenchmarkElementwise(b *testing.B) {
	r := NewRand(5)
	xs := make([]int32, 1024)
	xf := make([]float64, 1024)
	pos := make([]int32, 1024)
	posf := make([]float64, 1024)
	for i := range xs {
		xs[i] = r.Intn(16<<16) - 8<<16
		xf[i] = float64(xs[i]) * step
		pos[i] = 1 + r.Intn(1<<24)
		posf[i] = float64(pos[i]) * step
	}
	intFns := []struct {
		name string
		f    func(int32) int32
		in   []int32
	}{{"Exp", Exp, xs}, {"Log", Log, pos}, {"Softplus", Softplus, xs}, {"Sigmoid", Sigmoid, xs}, {"Tanh", Tanh, xs}}
	floatFns := []struct {
		name string
		f    func(float64) float64
		in   []float64
	}{
		{"Exp", math.Exp, xf}, {"Log", math.Log, posf},
		{"Softplus", func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) }, xf},
		{"Sigmoid", func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, xf}, {"Tanh", math.Tanh, xf},
	}
	for i := range intFns {
		fi, ff := intFns[i], floatFns[i]
		b.Run(fi.name+"/Q16", func(b *testing.B) {
			var s int32
			start := cpuTime()
			for b.Loop() {
				for _, x := range fi.in {
					s += fi.f(x)
				}
			}
			sinkI = s
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fi.in)), "ns/elem")
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N)/float64(len(fi.in)), "cpu-ns/elem")
		})
		b.Run(ff.name+"/F64", func(b *testing.B) {
			var s float64
			start := cpuTime()
			for b.Loop() {
				for _, x := range ff.in {
					s += ff.f(x)
				}
			}
			sinkF = s
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ff.in)), "ns/elem")
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N)/float64(len(ff.in)), "cpu-ns/elem")
		})
	}
}

func BenchmarkLogMeanExp(b *testing.B) {
	const n = 64 // importance samples
	r := NewRand(6)
	xs := make([]int32, n)
	xf := make([]float64, n)
	for i := range xs {
		xs[i] = r.Intn(20<<16) - 2000<<16
		xf[i] = float64(xs[i]) * step
	}
	b.Run("Q16/n=64", func(b *testing.B) {
		cpuLoop(b, func() {
			sinkI = LogMeanExp(xs)
		})
	})
	b.Run("F64/n=64", func(b *testing.B) {
		cpuLoop(b, func() {
			m := xf[0]
			for _, v := range xf[1:] {
				m = max(m, v)
			}
			var s float64
			for _, v := range xf {
				s += math.Exp(v - m)
			}
			sinkF = m + math.Log(s/n)
		})
	})
}

func BenchmarkRand(b *testing.B) {
	r := NewRand(7)
	z := make([]int32, 256)
	zf := make([]float64, 256)
	signs := make([]int8, 256)
	pcg := rand.New(rand.NewPCG(1, 2))
	b.Run("Normal/Q16x256", func(b *testing.B) {
		cpuLoop(b, func() {
			r.FillNormal(z)
		})
	})
	b.Run("NormFloat64/F64x256", func(b *testing.B) {
		cpuLoop(b, func() {
			for i := range zf {
				zf[i] = pcg.NormFloat64()
			}
		})
	})
	b.Run("Rademacher/x256", func(b *testing.B) {
		cpuLoop(b, func() {
			r.FillRademacher(signs)
		})
	})
	b.Run("Uint32", func(b *testing.B) {
		var s uint32
		start := cpuTime()
		for b.Loop() {
			s += r.Uint32()
		}
		sinkI = int32(s)
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

// BenchmarkDotI16I64 is one row of the score path's small layers (latent
// and hidden sizes), Q12 activations in int64.
func BenchmarkDotI16I64(b *testing.B) {
	for _, n := range []int{16, 64, 256} {
		r := NewRand(8)
		a := randI16(r, n, 32767)
		x := randI64(r, n, 1<<20)
		af, xf := floatVec(r, n), floatVec(r, n)
		b.Run(fmt.Sprintf("I16I64/n=%d", n), func(b *testing.B) {
			var s int64
			cpuLoop(b, func() {
				s += DotI16I64(a, x)
			})
			sinkI64 = s
		})
		b.Run(fmt.Sprintf("F64/n=%d", n), func(b *testing.B) {
			var s float64
			cpuLoop(b, func() {
				var d float64
				for i, v := range af {
					d += v * xf[i]
				}
				s += d
			})
			sinkF64 = s
		})
	}
}

// BenchmarkQuadFormActive is the quadratic term of one decoder pass: n
// hidden units of which about half are active after the ReLU.
func BenchmarkQuadFormActive(b *testing.B) {
	for _, n := range []int{64, 128, 256} {
		r := NewRand(9)
		c := newQuadCase(r, n, 50, 1<<20, 8, 20)
		gf, hf := floatVec(r, n*n), floatVec(r, n)
		name := fmt.Sprintf("n=%d,active=%d", n, len(c.active))
		b.Run("I32I64/"+name, func(b *testing.B) {
			var s int64
			cpuLoop(b, func() {
				s += QuadFormActive(c.g, c.h, c.active, c.shift)
			})
			sinkI64 = s
		})
		b.Run("F64/"+name, func(b *testing.B) {
			var s float64
			cpuLoop(b, func() {
				var q float64
				for _, i := range c.active {
					row := gf[int(i)*n : int(i)*n+n]
					var t float64
					for _, j := range c.active {
						t += row[j] * hf[j]
					}
					q += hf[i] * t
				}
				s += q
			})
			sinkF64 = s
		})
	}
}
