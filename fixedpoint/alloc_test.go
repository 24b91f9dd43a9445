package fixedpoint

import "testing"

// TestNoAllocations checks that the score-path kernels allocate nothing in
// steady state (the benchmarks report the same as 0 allocs/op).
func TestNoAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	r := NewRand(15)
	x := randI16(r, 64, 4096)
	x8 := randI8(r, 64)
	w8 := randI8(r, 64*16)
	w16 := randI16(r, 64*16, 32767)
	a := randI16(r, 64*64, 32767)
	a32 := make([]int32, 64*64)
	rq := []Requant{{M: 1 << 30, Shift: -8}}
	y := make([]int16, 16)
	y32 := make([]int32, 16)
	y64 := make([]int64, 16)
	lw := make([]int32, 64)
	lw64 := make([]int64, 64)
	z := make([]int32, 64)
	signs := make([]int8, 64)
	cs := Conv2D{InC: 1, InH: 8, InW: 8, OutC: 1, KH: 3, KW: 3, PadH: 1, PadW: 1}
	co := make([]int16, 64)
	act := Act{Kind: ActLeaky, Leak: 300}
	qc := newQuadCase(r, 64, 50, 1<<20, 8, 20)
	var sink int64
	for name, f := range map[string]func(){
		"DenseI8":        func() { _ = DenseI8(y, x, w8, nil, rq, act) },
		"DenseI8X8":      func() { _ = DenseI8X8(y, x8, w8, nil, rq, act) },
		"DenseI16":       func() { _ = DenseI16(y, x, w16, nil, rq, act) },
		"DenseI8Q32":     func() { _ = DenseI8Q32(y32, x, w8, nil, rq) },
		"DenseI16Q32":    func() { _ = DenseI16Q32(y32, x, w16, nil, rq) },
		"Conv2DI8":       func() { _ = Conv2DI8(co, x, cs, w8[:9], nil, rq, act) },
		"MatVecI16":      func() { _ = MatVecI16(y64, w16, x) },
		"MatTVecI16":     func() { _ = MatTVecI16(y64, w16, x) },
		"QuadFormI16":    func() { v, _ := QuadFormI16(a, x); sink += v },
		"QuadFormI32":    func() { v, _ := QuadFormI32(a32, x, 16); sink += v },
		"LogMeanExp":     func() { sink += int64(LogMeanExp(lw)) },
		"LogSumExpQ":     func() { sink += LogSumExpQ(lw64, 12) },
		"DotI16I64":      func() { sink += DotI16I64(x, lw64) },
		"QuadFormActive": func() { sink += QuadFormActive(qc.g, qc.h, qc.active, qc.shift) },
		"FillNormal":     func() { r.FillNormal(z) },
		"Rademacher":     func() { r.FillRademacher(signs) },
		"Elementwise": func() {
			sink += int64(Exp(int32(sink)) + Log(int32(sink)) + Softplus(int32(sink)) + Sigmoid(int32(sink)))
		},
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
	_ = sink
}
