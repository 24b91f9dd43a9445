package fixedpoint

import (
	"math"
	"math/big"
	"testing"
)

var edges64 = []int64{0, 1, -1, 2, -2, 3, -3, 5, -5, 1 << 31, -1 << 31, 1<<31 - 1, 1<<32 + 1,
	math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, math.MinInt64 + 1, 1 << 62, -1 << 62}

func TestRoundShift64(t *testing.T) {
	r := NewRand(1)
	xs := append([]int64(nil), edges64...)
	for i := 0; i < 2000; i++ {
		xs = append(xs, int64(uint64(r.Uint32())<<32|uint64(r.Uint32()))>>(r.Uint32()%63))
	}
	for _, x := range xs {
		for _, n := range []uint{0, 1, 2, 5, 14, 16, 31, 32, 33, 62, 63, 64, 70} {
			want := bigRoundShift(big.NewInt(x), int(n))
			if n >= 64 {
				want.SetInt64(0) // documented: n ≥ 64 returns 0
			}
			if got := RoundShift64(x, n); got != want.Int64() {
				t.Fatalf("RoundShift64(%d, %d) = %d, want %d", x, n, got, want)
			}
			if x == int64(int32(x)) && n < 40 {
				w := bigRoundShift(big.NewInt(x), int(n)).Int64()
				if n >= 32 {
					w = 0
				}
				if got := RoundShift32(int32(x), n); int64(got) != w {
					t.Fatalf("RoundShift32(%d, %d) = %d, want %d", x, n, got, w)
				}
			}
		}
	}
}

func TestRoundShiftTies(t *testing.T) {
	for _, c := range []struct {
		x    int64
		n    uint
		want int64
	}{{3, 1, 2}, {-3, 1, -2}, {1, 1, 1}, {-1, 1, -1}, {5, 2, 1}, {-5, 2, -1}, {6, 2, 2}, {-6, 2, -2}, {7, 2, 2}, {-7, 2, -2}} {
		if got := RoundShift64(c.x, c.n); got != c.want {
			t.Errorf("RoundShift64(%d, %d) = %d, want %d", c.x, c.n, got, c.want)
		}
	}
}

func TestSaturation(t *testing.T) {
	if Sat16(40000) != 32767 || Sat16(-40000) != -32768 || Sat16(123) != 123 {
		t.Error("Sat16")
	}
	if Sat32(1<<40) != math.MaxInt32 || Sat32(-1<<40) != math.MinInt32 || Sat32(-7) != -7 {
		t.Error("Sat32")
	}
	for _, c := range [][3]int64{
		{math.MaxInt64, 1, math.MaxInt64}, {math.MinInt64, -1, math.MinInt64}, {math.MaxInt64, math.MinInt64, -1},
		{1 << 62, 1 << 62, math.MaxInt64}, {-1 << 62, -1 << 62, math.MinInt64}, {-1<<62 - 1, -1 << 62, math.MinInt64}, {5, -7, -2},
	} {
		if got := AddSat64(c[0], c[1]); got != c[2] {
			t.Errorf("AddSat64(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
	for _, c := range [][3]int64{{1, 62, 1 << 62}, {1, 63, math.MaxInt64}, {-1, 63, math.MinInt64}, {3, 62, math.MaxInt64}, {-3, 61, -3 << 61}, {-5, 61, math.MinInt64}, {-2, 62, math.MinInt64}, {0, 90, 0}} {
		if got := ShiftLeftSat64(c[0], uint(c[1])); got != c[2] {
			t.Errorf("ShiftLeftSat64(%d, %d) = %d, want %d", c[0], c[1], got, c[2])
		}
	}
}

// FuzzRoundShift checks RoundShift64 and RoundShift32 against exact
// big-integer arithmetic.
func FuzzRoundShift(f *testing.F) {
	f.Add(int64(-3), uint8(1))
	f.Add(int64(math.MinInt64), uint8(63))
	f.Fuzz(func(t *testing.T, x int64, n uint8) {
		sh := uint(n % 70)
		want := bigRoundShift(big.NewInt(x), int(sh))
		if sh >= 64 {
			want.SetInt64(0)
		}
		if got := RoundShift64(x, sh); got != want.Int64() {
			t.Fatalf("RoundShift64(%d, %d) = %d, want %v", x, sh, got, want)
		}
		if got, w := RoundShift32(int32(x), sh%40), bigRoundShift(big.NewInt(int64(int32(x))), int(sh%40)); sh%40 < 32 && int64(got) != w.Int64() {
			t.Fatalf("RoundShift32(%d, %d) = %d, want %v", int32(x), sh%40, got, w)
		}
	})
}
