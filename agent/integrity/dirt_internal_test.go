package integrity

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelect: the selection gives the sorted slice's k-th element, and the
// median its middle one (the upper of an even count), on random, sorted,
// reversed and constant inputs of every length up to the grid's.
func TestSelect(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= BlockCells; n++ {
		for _, gen := range []func(i int) float32{
			func(int) float32 { return float32(r.IntN(7)) },
			func(int) float32 { return r.Float32() },
			func(i int) float32 { return float32(i) },
			func(i int) float32 { return float32(-i) },
			func(int) float32 { return 1 },
		} {
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = gen(i)
			}
			want := slices.Clone(xs)
			slices.Sort(want)
			if got := median(slices.Clone(xs)); got != want[n/2] {
				t.Fatalf("n=%d: median %v, want %v", n, got, want[n/2])
			}
			for _, k := range []int{0, n / 20, n - 1} {
				if got := kth(slices.Clone(xs), k); got != want[k] {
					t.Fatalf("n=%d: element %d: %v, want %v", n, k, got, want[k])
				}
			}
		}
	}
}
