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
	for _, sh := range [][2]int{{64, 32}, {256, 64}} {
		in, out := sh[0], sh[1]
		r := NewRand(1)
		x := randI16(r, in, 4096)
		w16 := randI16(r, in*out, 32767)
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

// BenchmarkExpQ is σ = exp(s/2) for the latent units of one pass, Q12.
func BenchmarkExpQ(b *testing.B) {
	const n = 64
	r := NewRand(5)
	xs := make([]int64, n)
	xf := make([]float64, n)
	for i := range xs {
		xs[i] = int64(r.Intn(14<<12)) - 10<<12
		xf[i] = float64(xs[i]) / (1 << 12)
	}
	b.Run("Q12/n=64", func(b *testing.B) {
		var s int64
		cpuLoop(b, func() {
			for _, x := range xs {
				s += ExpQ(x, 12)
			}
		})
		sinkI64 = s
	})
	b.Run("F64/n=64", func(b *testing.B) {
		var s float64
		cpuLoop(b, func() {
			for _, x := range xf {
				s += math.Exp(x)
			}
		})
		sinkF64 = s
	})
}

// BenchmarkLogSumExpQ is the importance-weighted NLL of 64 samples, Q12.
func BenchmarkLogSumExpQ(b *testing.B) {
	const n = 64 // importance samples
	r := NewRand(6)
	xs := make([]int64, n)
	xf := make([]float64, n)
	for i := range xs {
		xs[i] = int64(r.Intn(20<<12)) - 2000<<12
		xf[i] = float64(xs[i]) / (1 << 12)
	}
	b.Run("Q12/n=64", func(b *testing.B) {
		cpuLoop(b, func() {
			sinkI64 = LogSumExpQ(xs, 12)
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
			sinkF64 = m + math.Log(s)
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
			for i := range z {
				z[i] = r.Normal()
			}
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
		sinkI64 = int64(s)
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
