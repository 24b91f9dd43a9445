package fixedpoint_test

import (
	"fmt"

	"github.com/sensortrust/trustagent/fixedpoint"
)

// A float layer y = ReLU(W·x + b) quantised once (float side) and then run in
// integers: int8 weights with a per-row scale, int16 activations in Q8.8,
// outputs in Q8.8.
func ExampleDenseI8() {
	w := []float64{ // 2 outputs × 3 inputs
		0.5, -0.25, 1.0,
		-0.5, 0.75, 0.1,
	}
	b := []float64{0.1, -0.2}
	const sx, sy = 1.0 / 256, 1.0 / 256 // Q8.8 in and out

	// Quantisation time (float).
	w8 := make([]int8, len(w))
	bias := make([]int32, 2)
	rq := make([]fixedpoint.Requant, 2)
	for o := 0; o < 2; o++ {
		sw, _ := fixedpoint.QuantizeSymmetric8(w8[o*3:o*3+3], w[o*3:o*3+3])
		bias[o] = fixedpoint.ToQ(b[o]/(sx*sw), 0)
		rq[o], _ = fixedpoint.NewRequant(sx * sw / sy)
	}

	// Score time (integers only).
	x := []int16{256, 512, 128} // 1.0, 2.0, 0.5 in Q8.8
	y := make([]int16, 2)
	if err := fixedpoint.DenseI8(y, x, w8, bias, rq, fixedpoint.Act{Kind: fixedpoint.ActReLU}); err != nil {
		fmt.Println(err)
		return
	}
	xf := []float64{1, 2, 0.5}
	for o := 0; o < 2; o++ {
		f := b[o]
		for i := 0; i < 3; i++ {
			f += w[o*3+i] * xf[i]
		}
		fmt.Printf("y[%d] = %.4f (float %.4f)\n", o, float64(y[o])*sy, max(f, 0))
	}
	// Output:
	// y[0] = 0.6016 (float 0.6000)
	// y[1] = 0.8477 (float 0.8500)
}

// The importance-weighted log-likelihood log((1/K) Σ_k exp(log w_k)) of four
// log-weights in Q16.16.
func ExampleLogMeanExp() {
	logw := []int32{
		fixedpoint.ToQ(-1012.5, 16),
		fixedpoint.ToQ(-1010.25, 16),
		fixedpoint.ToQ(-1011.0, 16),
		fixedpoint.ToQ(-1030.0, 16),
	}
	fmt.Printf("%.4f\n", fixedpoint.FromQ(int64(fixedpoint.LogMeanExp(logw)), 16))
	// Output: -1011.1803
}

// Gaussian and Rademacher draws are the same on every architecture.
func ExampleRand() {
	r := fixedpoint.NewRand(42)
	z := make([]int32, 3)
	r.FillNormal(z)
	s := make([]int8, 8)
	r.FillRademacher(s)
	fmt.Println(z, s)
	// Output: [11002 -68932 -1875] [-1 1 1 -1 -1 -1 1 1]
}
