package fixedpoint

import (
	"math"
	"testing"
)

// TestExpQLnQAccuracy checks ExpQ, LnQ, LogSumExpQ and LogMeanExpQ against
// math for fractional widths 0..40 and 62, with the bounds in their doc
// comments.
func TestExpQLnQAccuracy(t *testing.T) {
	r := NewRand(12)
	fracs := []uint{62}
	for f := uint(0); f <= 40; f++ {
		fracs = append(fracs, f)
	}
	for _, frac := range fracs {
		f := min(frac, 30)
		lsb := math.Ldexp(1, -int(f))
		vmax := math.Min(48, math.Ldexp(1, 62-int(frac))) // representable inputs
		for i := 0; i < 3000; i++ {
			v := (float64(r.Uniform())*step*2 - 1) * vmax
			x := int64(math.Round(math.Ldexp(v, int(frac))))
			v = math.Ldexp(float64(x), -int(frac))
			want := math.Exp(v)
			got := math.Ldexp(float64(ExpQ(x, frac)), -int(frac))
			if want*math.Ldexp(1, int(frac)) >= math.MaxInt64 {
				if ExpQ(x, frac) != math.MaxInt64 {
					t.Fatalf("ExpQ(%d, %d) = %d, want saturation", x, frac, ExpQ(x, frac))
				}
			} else if inRound := math.Ldexp(1, -int(f)) * want * float64(min(frac-f, 1)); math.Abs(got-want) > 0.5*lsb+1.0e-6*want+inRound {
				t.Fatalf("ExpQ(%v, frac %d) = %v, want %v", v, frac, got, want)
			}
			if x > 0 {
				got, want := math.Ldexp(float64(LnQ(x, frac)), -int(frac)), math.Log(v)
				limit := math.Ldexp(1, 63-int(frac)) // Q(63−frac).frac holds [−limit, limit)
				switch {
				case want <= -limit:
					if LnQ(x, frac) != math.MinInt64 {
						t.Fatalf("LnQ(%v, frac %d) = %d, want saturation", v, frac, LnQ(x, frac))
					}
				case math.Abs(got-want) > 0.5*lsb+2.0e-6:
					t.Fatalf("LnQ(%v, frac %d) = %v, want %v", v, frac, got, want)
				}
			}
		}
		xs := make([]int64, 1+r.Intn(100))
		vs := make([]float64, len(xs))
		m := math.Inf(-1)
		for i := range xs {
			v := (float64(r.Uniform())*step*2 - 1) * math.Min(100, vmax) // spread up to 200 nats
			xs[i] = int64(math.Round(math.Ldexp(v, int(frac))))
			vs[i] = math.Ldexp(float64(xs[i]), -int(frac))
			m = math.Max(m, vs[i])
		}
		var sum float64
		for _, v := range vs {
			sum += math.Exp(v - m)
		}
		bound := lsb + 2.5e-6 + float64(len(xs))*0x1p-31
		limit := math.Ldexp(1, 63-int(frac)) // representable magnitude
		check := func(name string, q int64, want float64) {
			t.Helper()
			got := math.Ldexp(float64(q), -int(frac))
			switch {
			case want >= limit:
				if q != math.MaxInt64 {
					t.Fatalf("%s frac %d = %d, want saturation", name, frac, q)
				}
			case math.Abs(got-want) > bound:
				t.Fatalf("%s frac %d = %v, want %v", name, frac, got, want)
			}
		}
		want := m + math.Log(sum)
		check("LogSumExpQ", LogSumExpQ(xs, frac), want)
		check("LogMeanExpQ", LogMeanExpQ(xs, frac), want-math.Log(float64(len(xs))))
	}
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
		{"LnQ(2^62,62)", LnQ(1<<62, 62), 0},
		{"LnQ(4096,12)", LnQ(4096, 12), 0},
		{"LnQ(0,12)", LnQ(0, 12), math.MinInt64},
		{"LnQ(max,0)", LnQ(math.MaxInt64, 0), 44}, // ln(2^63) = 43.67
		{"LogSumExpQ(nil)", LogSumExpQ(nil, 12), math.MinInt64},
		{"LogMeanExpQ(nil)", LogMeanExpQ(nil, 12), math.MinInt64},
		{"LogSumExpQ(wide)", LogSumExpQ([]int64{math.MaxInt64, math.MinInt64}, 12), math.MaxInt64},
		{"LogSumExpQ(2×0)", LogSumExpQ([]int64{0, 0}, 16), ToQ64(math.Ln2, 16)},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	// frac > 30 computes in Q30: ln 2 to within 2^-30·2^10 in Q40 units.
	if got, want := LogSumExpQ([]int64{0, 0}, 40), ToQ64(math.Ln2, 40); got < want-1024 || got > want+1024 {
		t.Errorf("LogSumExpQ(2×0, 40) = %d, want %d ± 1024", got, want)
	}
	// The Q16.16 functions and the general ones agree.
	r := NewRand(13)
	for i := 0; i < 1000; i++ {
		x := int32(r.Uint32()) >> 8
		if int64(Exp(x)) != min(ExpQ(int64(x), 16), math.MaxInt32) {
			t.Fatalf("Exp(%d) = %d, ExpQ = %d", x, Exp(x), ExpQ(int64(x), 16))
		}
		if x > 0 && int64(Log(x)) != LnQ(int64(x), 16) {
			t.Fatalf("Log(%d) = %d, LnQ = %d", x, Log(x), LnQ(int64(x), 16))
		}
	}
}

// ToQ64 is ToQ for int64 results (test helper).
func ToQ64(v float64, frac uint) int64 { return int64(math.Round(math.Ldexp(v, int(frac)))) }
