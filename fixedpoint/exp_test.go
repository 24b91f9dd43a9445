package fixedpoint

import (
	"math"
	"testing"
)

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
	check("lnTable", len(lnTable), func(i int) int64 { return int64(lnTable[i]) },
		func(i int) float64 { return math.Round(math.Log1p(float64(i)/256) * (1 << 30)) })
	if log2eQ30 != int64(math.Round(math.Log2E*(1<<30))) || ln2Q30 != int64(math.Round(math.Ln2*(1<<30))) {
		t.Fatal("log2eQ30 or ln2Q30 wrong")
	}
}

// uniform returns a uniform float64 in [−1, 1) from 32 random bits.
func uniform(r *Rand) float64 { return float64(int32(r.Uint32())) * 0x1p-31 }

// fracs are the fractional widths the accuracy tests cover: 0..40 and 62.
func fracs() []uint {
	fs := []uint{62}
	for f := uint(0); f <= 40; f++ {
		fs = append(fs, f)
	}
	return fs
}

// TestExpQAccuracy checks ExpQ against math.Exp for every fractional width
// in fracs, with the bound in its doc comment.
func TestExpQAccuracy(t *testing.T) {
	r := NewRand(12)
	for _, frac := range fracs() {
		f := min(frac, 30)
		lsb := math.Ldexp(1, -int(f))
		vmax := math.Min(48, math.Ldexp(1, 62-int(frac))) // representable inputs
		for i := 0; i < 3000; i++ {
			x := int64(math.Round(math.Ldexp(uniform(r)*vmax, int(frac))))
			v := math.Ldexp(float64(x), -int(frac))
			want := math.Exp(v)
			got := math.Ldexp(float64(ExpQ(x, frac)), -int(frac))
			if want*math.Ldexp(1, int(frac)) >= math.MaxInt64 {
				if ExpQ(x, frac) != math.MaxInt64 {
					t.Fatalf("ExpQ(%d, %d) = %d, want saturation", x, frac, ExpQ(x, frac))
				}
			} else if inRound := math.Ldexp(1, -int(f)) * want * float64(min(frac-f, 1)); math.Abs(got-want) > 0.5*lsb+1.0e-6*want+inRound {
				t.Fatalf("ExpQ(%v, frac %d) = %v, want %v", v, frac, got, want)
			}
		}
	}
}

// TestLogSumExpQAccuracy checks LogSumExpQ against float64 with the maximum
// subtracted, for every fractional width in fracs and, at Q12 and Q16,
// vectors of log-weights with spreads from 0 to 40 nats and lengths 1..256.
// Bound (doc comment): 2^-min(frac,30) + 2.5e-6 + n·2^-31.
func TestLogSumExpQAccuracy(t *testing.T) {
	r := NewRand(5)
	check := func(xs []int64, frac uint) float64 {
		t.Helper()
		m := math.Inf(-1)
		for _, x := range xs {
			m = math.Max(m, math.Ldexp(float64(x), -int(frac)))
		}
		var sum float64
		for _, x := range xs {
			sum += math.Exp(math.Ldexp(float64(x), -int(frac)) - m)
		}
		want := m + math.Log(sum)
		q := LogSumExpQ(xs, frac)
		got := math.Ldexp(float64(q), -int(frac))
		bound := math.Ldexp(1, -int(min(frac, 30))) + 2.5e-6 + float64(len(xs))*0x1p-31
		switch limit := math.Ldexp(1, 63-int(frac)); {
		case want >= limit:
			if q != math.MaxInt64 {
				t.Fatalf("LogSumExpQ frac %d = %d, want saturation", frac, q)
			}
		case math.Abs(got-want) > bound:
			t.Fatalf("LogSumExpQ(n=%d, frac %d) = %v, want %v (error %.3g > %.3g)", len(xs), frac, got, want, got-want, bound)
		}
		return math.Abs(got - want)
	}
	for _, frac := range fracs() {
		vmax := math.Min(100, math.Ldexp(1, 62-int(frac))) // spread up to 200 nats
		xs := make([]int64, 1+r.Intn(100))
		for i := range xs {
			xs[i] = int64(math.Round(math.Ldexp(uniform(r)*vmax, int(frac))))
		}
		check(xs, frac)
	}
	var worst float64
	x := make([]int64, 256)
	for trial := 0; trial < 3000; trial++ {
		frac := uint(12 + 4*(trial%2))
		n := 1 + int(r.Intn(256))
		spread := float64(r.Intn(40<<16)) * step
		center := float64(int32(r.Uint32())>>4) * step // ±2^27 steps
		xs := x[:n]
		for i := range xs {
			xs[i] = int64(math.Round(math.Ldexp(center+spread*uniform(r)/2, int(frac))))
		}
		worst = math.Max(worst, check(xs, frac))
	}
	t.Logf("LogSumExpQ at Q12 and Q16: max |error| %.3g", worst)
}

func TestExpQEdges(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"ExpQ(0,12)", ExpQ(0, 12), 4096},
		{"ExpQ(0,0)", ExpQ(0, 0), 1},
		{"ExpQ(1,0)", ExpQ(1, 0), 3},
		{"ExpQ(max,12)", ExpQ(math.MaxInt64, 12), math.MaxInt64},
		{"ExpQ(min,12)", ExpQ(math.MinInt64, 12), 0},
		{"ExpQ(0,40)", ExpQ(0, 40), 1 << 40},
		{"ExpQ(0,70)=ExpQ(0,62)", ExpQ(0, 70), 1 << 62},
		{"LogSumExpQ(nil)", LogSumExpQ(nil, 12), math.MinInt64},
		{"LogSumExpQ(wide)", LogSumExpQ([]int64{math.MaxInt64, math.MinInt64}, 12), math.MaxInt64},
		{"LogSumExpQ(2×0)", LogSumExpQ([]int64{0, 0}, 16), ToQ64(math.Ln2, 16)},
		{"LogSumExpQ(edge)", LogSumExpQ([]int64{math.MaxInt32, math.MinInt32, math.MaxInt32}, 16), math.MaxInt32 + ToQ64(math.Ln2, 16)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	// frac > 30 computes in Q30: ln 2 to within 2^-30·2^10 in Q40 units.
	if got, want := LogSumExpQ([]int64{0, 0}, 40), ToQ64(math.Ln2, 40); got < want-1024 || got > want+1024 {
		t.Errorf("LogSumExpQ(2×0, 40) = %d, want %d ± 1024", got, want)
	}
}

// ToQ64 is ToQ for int64 results (test helper).
func ToQ64(v float64, frac uint) int64 { return int64(math.Round(math.Ldexp(v, int(frac)))) }
