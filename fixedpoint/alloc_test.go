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
	w16 := randI16(r, 64*16, 32767)
	rq := []Requant{{M: 1 << 30, Shift: -8}}
	y := make([]int16, 16)
	lw64 := make([]int64, 64)
	signs := make([]int8, 64)
	qc := newQuadCase(r, 64, 50, 1<<20, 8, 20)
	act := Act{Kind: ActReLU}
	var sink int64
	for name, f := range map[string]func(){
		"DenseI16":       func() { _ = DenseI16(y, x, w16, nil, rq, act) },
		"DotI16":         func() { sink += DotI16(x, x) },
		"DotI16I64":      func() { sink += DotI16I64(x, lw64) },
		"QuadFormActive": func() { sink += QuadFormActive(qc.g, qc.h, qc.active, qc.shift) },
		"ExpQ":           func() { sink += ExpQ(sink&0xFFFF, 12) },
		"LogSumExpQ":     func() { sink += LogSumExpQ(lw64, 12) },
		"Normal":         func() { sink += int64(r.Normal()) },
		"FillRademacher": func() { r.FillRademacher(signs) },
	} {
		if n := testing.AllocsPerRun(20, f); n != 0 {
			t.Errorf("%s: %v allocations per call", name, n)
		}
	}
	_ = sink
}
