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

// hidden8Int64 is the 64-bit loop hidden8Split stands for.
func hidden8Int64(h []int64, w []int16, rs []rowRequant, z []int64) {
	for k := range h {
		var acc int64
		for j := 0; j < 8; j++ {
			acc += int64(w[8*k+j]) * z[j]
		}
		h[k] = requantRow(&rs[k], acc)
	}
}

// TestHidden8Split checks the 32-bit cores' decoder row loop against the
// int64 one, bit for bit, on every architecture: random rows, and the worst
// cases of its bound (weights −2^15 and 2^15 − 1, latents ±actClamp and
// actClamp − 1, whose low parts are the largest). Past the bound (a latent
// of 2^24 + 2^11, beyond the activation clamp) the high int32 sum wraps, which the
// test shows too.
func TestHidden8Split(t *testing.T) {
	r := fixedpoint.NewRand(42)
	const rows = 64
	w := make([]int16, rows*8)
	rs := make([]rowRequant, rows)
	for k := range rs {
		rs[k] = newRowRequant(int32(r.Intn(1<<15)), uint8(r.Intn(40)), int64(r.Intn(2*actClamp+1))-actClamp)
	}
	got, want := make([]int64, rows), make([]int64, rows)
	check := func(name string, z []int64) {
		t.Helper()
		hidden8Split(got, w, rs, z)
		hidden8Int64(want, w, rs, z)
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("%s: row %d: hidden8Split = %d, int64 loop = %d (z %v, w %v)", name, k, got[k], want[k], z, w[8*k:8*k+8])
			}
		}
	}
	z := make([]int64, 8)
	for trial := 0; trial < 200; trial++ {
		for i := range w {
			w[i] = int16(r.Intn(1<<16) - 1<<15)
		}
		for j := range z {
			z[j] = int64(r.Intn(2*actClamp+1)) - actClamp
		}
		check("random", z)
	}
	for _, wv := range []int16{math.MinInt16, math.MaxInt16} {
		for i := range w {
			w[i] = wv
		}
		for _, zv := range []int64{actClamp, -actClamp, actClamp - 1, -actClamp + 1, zLoMax, -1} {
			for j := range z {
				z[j] = zv
			}
			check("limit", z)
		}
	}
	// Past the bound: with zHi = 2^13 + 1 the high sum is
	// 8·(−2^15)·(2^13 + 1) = −2^31 − 2^18, which wraps in int32.
	for i := range w {
		w[i] = math.MinInt16
	}
	for j := range z {
		z[j] = 1<<24 + 1<<zSplit
	}
	hidden8Split(got, w, rs, z)
	hidden8Int64(want, w, rs, z)
	if got[0] == want[0] {
		t.Fatal("past the bound (z = 2^24 + 2^11) the split loop should wrap; the bound is not where the doc comment says")
	}
}
