package fixedpoint

import (
	"errors"
	"math"
	"testing"
)

func TestNewRequant(t *testing.T) {
	for _, r := range []float64{1, 0.5, 0.3, 1e-3, 1.0 / 3, 0.999999999999, 7.25, 1e-9, 1 << 30} {
		q, err := NewRequant(r)
		if err != nil {
			t.Fatalf("NewRequant(%v): %v", r, err)
		}
		if q.M < 1<<30 || q.Shift < RequantMinShift || q.Shift > RequantMaxShift {
			t.Fatalf("NewRequant(%v) = %+v outside the documented ranges", r, q)
		}
		// M carries 31 bits: relative error ≤ 2^-31 (half a step of M ≥ 2^30).
		if rel := math.Abs(math.Ldexp(float64(q.M), int(q.Shift)-31)-r) / r; rel > 0x1p-31 {
			t.Errorf("NewRequant(%v) = %+v: relative error %g", r, q, rel)
		}
	}
	if q, err := NewRequant(0); err != nil || q != (Requant{}) {
		t.Errorf("NewRequant(0) = %+v, %v", q, err)
	}
	for _, r := range []float64{-1, math.NaN(), math.Inf(1), 1e-12, 1e10} {
		if _, err := NewRequant(r); !errors.Is(err, ErrRange) {
			t.Errorf("NewRequant(%v) error = %v, want ErrRange", r, err)
		}
	}
}

func requantCases() []Requant {
	var qs []Requant
	for _, r := range []float64{1, 0.5, 0.3, 1e-3, 1.0 / 3, 0.99999, 7.25, 1e-9, 123456.7, 0x1p-32, 0x1.fffffp30} {
		q, err := NewRequant(r)
		if err != nil {
			panic(err)
		}
		qs = append(qs, q)
	}
	return append(qs, Requant{M: math.MaxInt32, Shift: RequantMaxShift}, Requant{M: 1 << 30, Shift: RequantMinShift})
}

// TestRequantExact checks Apply64 against exact big-integer
// arithmetic: the result must be the correctly rounded (ties away from zero),
// saturated value of acc·M·2^(Shift−31). Tolerance: none.
func TestRequantExact(t *testing.T) {
	r := NewRand(2)
	accs := append([]int64(nil), edges64...)
	for i := 0; i < 500; i++ {
		accs = append(accs, int64(uint64(r.Uint32())<<32|uint64(r.Uint32()))>>(r.Uint32()%63))
	}
	for _, q := range requantCases() {
		for _, acc := range accs {
			want := refRequant(q, acc)
			if got := q.Apply64(acc); got != want {
				t.Fatalf("%+v.Apply64(%d) = %d, want %d", q, acc, got, want)
			}
		}
	}
}

func FuzzRequant(f *testing.F) {
	f.Add(int64(1000), int32(1<<30), int32(0))
	f.Add(int64(math.MinInt64), int32(math.MaxInt32), int32(31))
	f.Add(int64(-3), int32(1<<30), int32(-1))
	f.Fuzz(func(t *testing.T, acc int64, m int32, shift int32) {
		q := Requant{M: m, Shift: shift}
		if q.M != 0 && (q.M < 1<<30 || q.Shift < RequantMinShift || q.Shift > RequantMaxShift) {
			return
		}
		if got, want := q.Apply64(acc), refRequant(q, acc); got != want {
			t.Fatalf("%+v.Apply64(%d) = %d, want %d", q, acc, got, want)
		}
	})
}
