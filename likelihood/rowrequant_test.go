package likelihood

import (
	"math"
	"testing"

	"github.com/sensortrust/trustagent/fixedpoint"
)

// TestRowRequant checks requantRow against requant plus the bias, bit for
// bit, at every shift a model may hold, for multipliers from 0 to 2^15 − 1
// and accumulators at both ends of requant's range |acc·m| ≤ 2^62, at the
// rounding ties (acc·m an odd multiple of 2^(sh−1)) and next to them.
func TestRowRequant(t *testing.T) {
	r := fixedpoint.NewRand(41)
	for sh := 0; sh <= 62; sh++ {
		for _, m := range []int32{0, 1, 3, 1 << 14, 1<<15 - 1, int32(r.Intn(1 << 15))} {
			lim := int64(1) << 62
			if m > 0 {
				lim /= int64(m)
			}
			accs := []int64{0, 1, -1, lim, -lim, lim - 1, -lim + 1, int64(r.Intn(1<<30)) << 16, -int64(r.Intn(1<<30)) << 16}
			if sh > 0 && m > 0 {
				// Ties: acc·m = ±(2j+1)·2^(sh−1) when m divides it; with m = 1 always.
				tie := int64(1) << (sh - 1)
				if tie%int64(m) == 0 && tie/int64(m) <= lim/3 {
					a := tie / int64(m)
					accs = append(accs, a, -a, 3*a, -3*a, a+1, -a-1, a-1, -a+1)
				}
			}
			for _, b := range []int64{0, actClamp, -actClamp} {
				row := newRowRequant(m, uint8(sh), b)
				for _, acc := range accs {
					want := requant(acc, int64(m), sh) + b
					if got := requantRow(&row, acc); got != want {
						t.Fatalf("sh=%d m=%d b=%d acc=%d: requantRow = %d, requant + b = %d", sh, m, b, acc, got, want)
					}
				}
			}
		}
	}
	// The ties themselves, against the rounding stated in requant's doc
	// comment (half away from zero) in float64, where it is exact.
	row := newRowRequant(1, 1, 0)
	for _, acc := range []int64{1, -1, 3, -3, 5, -5} {
		if got, want := requantRow(&row, acc), int64(math.Round(float64(acc)/2)); got != want {
			t.Fatalf("acc=%d: requantRow at shift 1 = %d, want %d", acc, got, want)
		}
	}
}
