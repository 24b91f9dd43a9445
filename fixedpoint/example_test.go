package fixedpoint_test

import (
	"fmt"
	"math"

	"github.com/sensortrust/trustagent/fixedpoint"
)

// A float layer y = ReLU(W·x + b) quantised once (float side) and then run in
// integers: int16 weights with a per-row scale, int16 activations in Q8.8,
// outputs in Q8.8.
func ExampleDenseI16() {
	w := []float64{ // 2 outputs × 3 inputs
		0.5, -0.25, 1.0,
		-0.5, 0.75, 0.1,
	}
	b := []float64{0.1, -0.2}
	const sx, sy = 1.0 / 256, 1.0 / 256 // Q8.8 in and out

	// Quantisation time (float): symmetric per-row weight scale sw, bias in
	// accumulator units sx·sw, requantisation by sx·sw/sy.
	w16 := make([]int16, len(w))
	bias := make([]int64, 2)
	rq := make([]fixedpoint.Requant, 2)
	for o := 0; o < 2; o++ {
		row := w[o*3 : o*3+3]
		sw := math.Max(math.Max(math.Abs(row[0]), math.Abs(row[1])), math.Abs(row[2])) / 32767
		for i, v := range row {
			w16[o*3+i] = int16(math.Round(v / sw))
		}
		bias[o] = int64(math.Round(b[o] / (sx * sw)))
		rq[o], _ = fixedpoint.NewRequant(sx * sw / sy)
	}

	// Score time (integers only).
	x := []int16{256, 512, 128} // 1.0, 2.0, 0.5 in Q8.8
	y := make([]int16, 2)
	if err := fixedpoint.DenseI16(y, x, w16, bias, rq, fixedpoint.Act{Kind: fixedpoint.ActReLU}); err != nil {
		fmt.Println(err)
		return
	}
	xf := []float64{1, 2, 0.5}
	for o := 0; o < 2; o++ {
		f := b[o]
		for i := 0; i < 3; i++ {
			f += w[o*3+i] * xf[i]
		}
		fmt.Printf("y[%d] = %.4f (float %.4f)\n", o, fixedpoint.FromQ(int64(y[o]), 8), max(f, 0))
	}
	// Output:
	// y[0] = 0.6016 (float 0.6000)
	// y[1] = 0.8516 (float 0.8500)
}

// The importance-weighted log-likelihood log((1/K) Σ_k exp(log w_k)) of four
// log-weights in Q51.12: log-sum-exp minus log K.
func ExampleLogSumExpQ() {
	logw := []int64{
		int64(fixedpoint.ToQ(-1012.5, 12)),
		int64(fixedpoint.ToQ(-1010.25, 12)),
		int64(fixedpoint.ToQ(-1011.0, 12)),
		int64(fixedpoint.ToQ(-1030.0, 12)),
	}
	lse := fixedpoint.LogSumExpQ(logw, 12)
	fmt.Printf("%.4f\n", fixedpoint.FromQ(lse, 12)-math.Log(4))
	// Output: -1011.1802
}

// Gaussian and Rademacher draws are the same on every architecture.
func ExampleRand() {
	r := fixedpoint.NewRand(42)
	z := []int32{r.Normal(), r.Normal(), r.Normal()}
	s := make([]int8, 8)
	r.FillRademacher(s)
	fmt.Println(z, s)
	// Output: [11002 -68932 -1875] [-1 1 1 -1 -1 -1 1 1]
}
