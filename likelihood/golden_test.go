package likelihood

import (
	"flag"
	"fmt"
	"testing"

	"github.com/sensortrust/trustagent/fixedpoint"
)

var updateGolden = flag.Bool("update-golden", false, "print new golden integer scores")

// goldenNet builds a quantised network from the integer generator alone
// (no float anywhere), so that it is the same on every architecture.
func goldenNet(seed uint64) *qnet {
	r := fixedpoint.NewRand(seed)
	next := func() uint64 { return uint64(r.Uint32()) }
	const D, H1, L, H2 = 300, 16, 4, 16
	q := &qnet{D: D, H1: H1, L: L, H2: H2}
	i8 := func(n int) []int8 {
		v := make([]int8, n)
		for i := range v {
			v[i] = int8(int64(next()%255) - 127)
		}
		return v
	}
	i16 := func(n int) []int16 {
		v := make([]int16, n)
		for i := range v {
			v[i] = int16(int64(next()%65535) - 32767)
		}
		return v
	}
	mult := func(n int, shift uint8) ([]int32, []uint8) {
		m, s := make([]int32, n), make([]uint8, n)
		for i := range m {
			m[i] = int32(1<<14 + next()%(1<<14))
			s[i] = shift + uint8(next()%3)
		}
		return m, s
	}
	bias := func(n int) []int64 {
		b := make([]int64, n)
		for i := range b {
			b[i] = int64(next()%8192) - 4096
		}
		return b
	}
	q.W1 = i16(H1 * D)
	q.M1, q.S1 = mult(H1, 24+15) // int16 inputs and weights: 2^15 × the former int8 products
	q.B1 = bias(H1)
	q.Wm, q.Wv = i16(L*H1), i16(L*H1)
	q.Mm, q.Sm = mult(L, 33)
	q.Mv, q.Sv = mult(L, 35)
	q.Bm, q.Bv = bias(L), bias(L)
	q.W2 = i16(H2 * L)
	q.M2, q.S2 = mult(H2, 29)
	q.B2 = bias(H2)
	q.Wt = i16(H2 * D)
	q.Mt, q.St = mult(H2, 18+15)
	q.B3 = make([]int16, D)
	for i := range q.B3 {
		q.B3[i] = int16(int64(next()%uint64(2*inputMax+1)) - inputMax)
	}
	// G = AᵀA for a random int8 A: symmetric positive semi-definite.
	a := i8(H2 * H2)
	q.G = make([]int32, H2*H2)
	for j := 0; j < H2; j++ {
		for k := 0; k < H2; k++ {
			var s int32
			for i := 0; i < H2; i++ {
				s += int32(a[i*H2+j]) * int32(a[i*H2+k])
			}
			q.G[j*H2+k] = s
		}
	}
	q.GShift = 4
	const F = 5
	q.W3s = i16(F * H2)
	q.M3s, q.S3s = mult(F, 29)
	q.B3s = bias(F)
	q.Lam = make([]int64, F)
	for i := range q.Lam {
		q.Lam[i] = int64(next() % (8 << fracBits))
	}
	q.LamX = make([]int32, D)
	for i := range q.LamX {
		q.LamX[i] = int32(next() % (1 << 20))
	}
	q.LShift = 16
	q.Mode = ScoreRegret
	q.SRegret, q.SResid = one, one
	return q
}

// TestGoldenIntegerScores: fixed scores of a generator-built network on
// generator-built inputs, compared bit for bit with values recorded on
// amd64. Run under qemu-aarch64 and qemu-arm this shows the integer path
// gives identical results on arm64 and 32-bit arm.
func TestGoldenIntegerScores(t *testing.T) {
	q := goldenNet(2024)
	if err := q.check(); err != nil {
		t.Fatal(err)
	}
	cfg := RefitConfig{Steps: 5, Directions: 3, Samples: 4, Smoothing: 0.1, Step: 0.25, Seed: 11}
	eng := newFixedEngine(q, cfg, newRefitTables(cfg, q.L), 410, 1024)
	r := fixedpoint.NewRand(77)
	next := func() uint64 { return uint64(r.Uint32()) }
	in := make([]int16, q.D)
	var got, combined, resid, after, combined3 []int64
	for k := 0; k < 8; k++ {
		for i := range in {
			switch k {
			case 6:
				in[i] = inputMax
			case 7:
				in[i] = -inputMax
			default:
				in[i] = int16(int64(next()%(uint64(5120*k+1920))) - int64(2560*k+960))
			}
		}
		q.Mode = ScoreRegret
		got = append(got, eng.score(in))
		q.Mode, q.CRegret, q.SRegret, q.CResid, q.SResid = ScoreRegretAndStats, 99_000_000, 5000, 3_000_000, 70_000
		combined = append(combined, eng.score(in))
		_, res, aft := eng.parts(in)
		resid, after = append(resid, res), append(after, aft)
		q.CNLL, q.SNLL = 150_000_000, 9000
		combined3 = append(combined3, eng.score(in))
		q.Mode, q.CRegret, q.SRegret, q.CResid, q.SResid, q.CNLL, q.SNLL = ScoreRegret, 0, one, 0, one, 0, 0
	}
	if *updateGolden {
		fmt.Printf("var goldenScores = %#v\nvar goldenCombined = %#v\nvar goldenResid = %#v\nvar goldenAfter = %#v\nvar goldenCombined3 = %#v\n", got, combined, resid, after, combined3)
		return
	}
	for _, c := range []struct {
		what      string
		got, want []int64
	}{
		{"regret-only score", got, goldenScores},
		{"two-part score", combined, goldenCombined},
		{"statistics residual", resid, goldenResid},
		{"NLL after the re-fit", after, goldenAfter},
		{"three-part score", combined3, goldenCombined3},
	} {
		if len(c.got) != len(c.want) {
			t.Fatalf("%s: %d values, %d golden", c.what, len(c.got), len(c.want))
		}
		for i := range c.want {
			if c.got[i] != c.want[i] {
				t.Errorf("input %d: %s %d, golden %d", i, c.what, c.got[i], c.want[i])
			}
		}
	}
	// The scores must not be degenerate (the test could not fail otherwise).
	distinct := map[int64]bool{}
	for _, v := range got {
		distinct[v] = true
	}
	if len(distinct) < 5 {
		t.Errorf("only %d distinct golden scores: %v", len(distinct), got)
	}
}
