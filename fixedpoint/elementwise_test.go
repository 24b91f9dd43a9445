package fixedpoint

import (
	"flag"
	"math"
	"testing"
)

const step = 1.0 / OneQ16 // one Q16.16 step

var fullSweep = flag.Bool("sweep", false, "check the elementwise functions at every Q16.16 input of their ranges")

// sweepStride is 13 normally (every table cell is visited at a dozen or more
// offsets; fast enough under qemu), 1 with -sweep (every input) and 61 under
// -short.
func sweepStride() int32 {
	switch {
	case *fullSweep:
		return 1
	case testing.Short():
		return 61
	}
	return 13
}

// TestTables checks tables.go against math: every entry must be the float64
// value rounded to the nearest integer (±1 allows for a last-bit difference
// in math between architectures).
func TestTables(t *testing.T) {
	check := func(name string, n int, got func(int) int64, want func(int) float64) {
		for i := 0; i < n; i++ {
			if d := math.Abs(float64(got(i)) - want(i)); d > 1 {
				t.Fatalf("%s[%d] = %d, want %.1f", name, i, got(i), want(i))
			}
		}
	}
	check("exp2Table", len(exp2Table), func(i int) int64 { return int64(exp2Table[i]) },
		func(i int) float64 { return math.Round(math.Exp2(float64(i)/256) * (1 << 30)) })
	check("log2Table", len(log2Table), func(i int) int64 { return int64(log2Table[i]) },
		func(i int) float64 { return math.Round(math.Log2(1+float64(i)/256) * (1 << 30)) })
	check("lnTable", len(lnTable), func(i int) int64 { return int64(lnTable[i]) },
		func(i int) float64 { return math.Round(math.Log1p(float64(i)/256) * (1 << 30)) })
	check("softplusTable", len(softplusTable), func(i int) int64 { return int64(softplusTable[i]) },
		func(i int) float64 { return math.Round(math.Log1p(math.Exp(-float64(i)/128)) * (1 << 30)) })
	check("sigmoidTable", len(sigmoidTable), func(i int) int64 { return int64(sigmoidTable[i]) },
		func(i int) float64 { return math.Round(1 / (1 + math.Exp(-float64(i)/128)) * (1 << 30)) })
	if log2eQ30 != int64(math.Round(math.Log2E*(1<<30))) || ln2Q30 != int64(math.Round(math.Ln2*(1<<30))) {
		t.Fatal("log2eQ30 or ln2Q30 wrong")
	}
}

// TestElementwiseAccuracy verifies the error bounds written in the doc
// comments against package math over every Q16.16 input where the function
// is not constant (and random inputs over the whole int32 range).
func TestElementwiseAccuracy(t *testing.T) {
	s := sweepStride()
	r := NewRand(3)
	random := make([]int32, 20000)
	for i := range random {
		random[i] = int32(r.Uint32())
	}
	type fn struct {
		name  string
		f     func(int32) int32
		ref   func(float64) float64
		bound func(float64) float64 // allowed |error| at the reference value
		lo    float64               // sweep range
		hi    float64
	}
	fns := []fn{
		{"Exp", Exp, math.Exp, func(y float64) float64 { return 0.5*step + 1.0e-6*y }, -13, 10.4},
		{"Log", Log, math.Log, func(float64) float64 { return 0.5*step + 2.0e-6 }, 0, 16},
		{"Log2", Log2, math.Log2, func(float64) float64 { return 0.5*step + 2.8e-6 }, 0, 16},
		{"Softplus", Softplus, func(x float64) float64 { return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x))) },
			func(float64) float64 { return 0.65 * step }, -20, 20},
		{"Sigmoid", Sigmoid, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, func(float64) float64 { return 0.55 * step }, -20, 20},
		{"LogSigmoid", LogSigmoid, func(x float64) float64 { return -math.Log1p(math.Exp(-x)) }, func(float64) float64 { return 0.65 * step }, -20, 20},
		{"Tanh", Tanh, math.Tanh, func(float64) float64 { return 0.6 * step }, -10, 10},
	}
	for _, f := range fns {
		worst, worstX, ratio, rel := 0.0, 0.0, 0.0, 0.0
		try := func(q int32) {
			x := float64(q) * step
			want := f.ref(x)
			got := float64(f.f(q)) * step
			if f.name == "Exp" && want >= float64(math.MaxInt32)*step {
				want = float64(math.MaxInt32) * step // documented saturation
			}
			if (f.name == "Log" || f.name == "Log2") && q <= 0 {
				if f.f(q) != math.MinInt32 {
					t.Fatalf("%s(%d) = %d, want MinInt32", f.name, q, f.f(q))
				}
				return
			}
			if math.IsInf(want, 0) || math.Abs(want) >= 32768 {
				return // saturated region, checked by TestElementwiseEdges
			}
			err := math.Abs(got - want)
			if err > f.bound(math.Abs(want)) {
				t.Fatalf("%s(%v) = %v, want %v: error %.3g > bound %.3g", f.name, x, got, want, err, f.bound(math.Abs(want)))
			}
			if err > worst {
				worst, worstX = err, x
			}
			ratio = math.Max(ratio, err/f.bound(math.Abs(want)))
			if want != 0 {
				rel = math.Max(rel, (err-0.5*step)/math.Abs(want))
			}
		}
		lo, hi := int32(f.lo*OneQ16), int32(f.hi*OneQ16)
		for q := lo; q < hi; q += s {
			try(q)
		}
		for _, q := range random {
			try(q)
		}
		t.Logf("%-10s max |error| %.3g (%.3f steps) at x=%.6g; max error/bound %.3f; max (error − ½ step)/|f| %.3g", f.name, worst, worst/step, worstX, ratio, rel)
	}
}

func TestElementwiseEdges(t *testing.T) {
	cases := []struct {
		name      string
		got, want int32
	}{
		{"Exp(0)", Exp(0), OneQ16},
		{"Exp(max)", Exp(math.MaxInt32), math.MaxInt32},
		{"Exp(11)", Exp(11 << 16), math.MaxInt32},
		{"Exp(min)", Exp(math.MinInt32), 0},
		{"Exp(-12)", Exp(-12 << 16), 0},
		{"Log(1)", Log(OneQ16), 0},
		{"Log2(2)", Log2(2 << 16), OneQ16},
		{"Log2(max)", Log2(math.MaxInt32), 15 << 16},
		{"Log(0)", Log(0), math.MinInt32},
		{"Log(-5)", Log(-5), math.MinInt32},
		{"Log2U64(2^63, 0)", Log2U64(1<<63, 0), 63 << 16},
		{"Log2U64(1, 40)", Log2U64(1, 40), -40 << 16},
		{"Log2U64(0, 0)", Log2U64(0, 0), math.MinInt32},
		{"LnU64(1, 0)", LnU64(1, 0), 0},
		{"Softplus(max)", Softplus(math.MaxInt32), math.MaxInt32},
		{"Softplus(min)", Softplus(math.MinInt32), 0},
		{"Softplus(0)", Softplus(0), ToQ(math.Ln2, 16)},
		{"Sigmoid(0)", Sigmoid(0), OneQ16 / 2},
		{"Sigmoid(max)", Sigmoid(math.MaxInt32), OneQ16},
		{"Sigmoid(min)", Sigmoid(math.MinInt32), 0},
		{"Tanh(0)", Tanh(0), 0},
		{"Tanh(max)", Tanh(math.MaxInt32), OneQ16},
		{"Tanh(min)", Tanh(math.MinInt32), -OneQ16},
		{"LogSigmoid(min)", LogSigmoid(math.MinInt32), -math.MaxInt32},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// TestMonotone checks that Exp, Log, Softplus and Sigmoid never decrease:
// rankings of scores survive the approximation.
func TestMonotone(t *testing.T) {
	fs := map[string]func(int32) int32{"Exp": Exp, "Log": Log, "Softplus": Softplus, "Sigmoid": Sigmoid, "Tanh": Tanh}
	for name, f := range fs {
		prev := f(-20 << 16)
		for q := int32(-20 << 16); q < 20<<16; q += 3 {
			v := f(q)
			if v < prev {
				t.Fatalf("%s not monotone at %d: %d < %d", name, q, v, prev)
			}
			prev = v
		}
	}
}

// TestLogUnsignedAccuracy covers Log2U64 and LnU64 over the whole uint64
// range and many fractional widths.
func TestLogUnsignedAccuracy(t *testing.T) {
	r := NewRand(4)
	for i := 0; i < 50000; i++ {
		x := (uint64(r.Uint32())<<32 | uint64(r.Uint32())) >> (r.Uint32() % 64)
		if x == 0 {
			continue
		}
		frac := r.Uint32() % 61
		xf := math.Ldexp(float64(x), -int(frac)) // rounding of x here is ≤ 2^-53 relative
		if got, want := float64(Log2U64(x, frac))*step, math.Log2(xf); math.Abs(got-want) > 0.5*step+2.8e-6 {
			t.Fatalf("Log2U64(%d, %d) = %v, want %v", x, frac, got, want)
		}
		if got, want := float64(LnU64(x, frac))*step, math.Log(xf); math.Abs(got-want) > 0.5*step+2.0e-6 {
			t.Fatalf("LnU64(%d, %d) = %v, want %v", x, frac, got, want)
		}
	}
}

// TestLogSumExpAccuracy checks LogSumExp and LogMeanExp against float64 with
// max subtraction, for vectors of log-weights with spreads from 0 to 40 nats
// and lengths 1..256. Bound: 0.5 step + 2.5e-6 + n·2^-31.
func TestLogSumExpAccuracy(t *testing.T) {
	r := NewRand(5)
	x := make([]int32, 256)
	var worst float64
	for trial := 0; trial < 3000; trial++ {
		n := 1 + int(r.Intn(256))
		spread := float64(r.Intn(40<<16)) * step
		center := float64(int32(r.Uint32())>>4) * step // ±2^27 steps
		xs := x[:n]
		m := math.Inf(-1)
		for i := range xs {
			xs[i] = ToQ(center+spread*(float64(r.Uniform())*step-0.5), 16)
			m = math.Max(m, float64(xs[i])*step)
		}
		var sum float64
		for _, v := range xs {
			sum += math.Exp(float64(v)*step - m)
		}
		want := m + math.Log(sum)
		bound := 0.5*step + 2.5e-6 + float64(n)*0x1p-31
		got := float64(LogSumExp(xs)) * step
		worst = math.Max(worst, math.Abs(got-want))
		if math.Abs(got-want) > bound {
			t.Fatalf("LogSumExp(n=%d spread=%v) = %v, want %v (error %.3g > %.3g)", n, spread, got, want, got-want, bound)
		}
		want -= math.Log(float64(n))
		if got := float64(LogMeanExp(xs)) * step; math.Abs(got-want) > bound {
			t.Fatalf("LogMeanExp(n=%d) = %v, want %v (error %.3g > %.3g)", n, got, want, got-want, bound)
		}
	}
	t.Logf("LogSumExp max |error| %.3g (%.3f steps)", worst, worst/step)
	if LogSumExp(nil) != math.MinInt32 || LogMeanExp(nil) != math.MinInt32 {
		t.Error("empty input must give MinInt32")
	}
	// Overflow edge: the maximum representable log-weight with others far below.
	edge := []int32{math.MaxInt32, math.MinInt32, math.MaxInt32}
	if got := LogSumExp(edge); got != math.MaxInt32 {
		t.Errorf("LogSumExp(edge) = %d, want saturation", got)
	}
	if got, want := LogMeanExp(edge), int32(math.MaxInt32)+ToQ(math.Log(2.0/3), 16); got != want {
		t.Errorf("LogMeanExp(edge) = %d, want %d", got, want)
	}
}
