package integrity

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// TestDirtMedian: the selection gives the sorted slice's middle element
// (the upper of an even count) on random, sorted, reversed and constant
// inputs of every length up to the grid's.
func TestDirtMedian(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for n := 1; n <= dirtCells; n++ {
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
			if got := median(xs); got != want[n/2] {
				t.Fatalf("n=%d: median %v, want %v", n, got, want[n/2])
			}
		}
	}
}

// TestDirtMeans: the block means (of the lens dirt and veil checks) are those of the sampled pixels (every
// Width/80-th of every Height/60-th row) of each block, a pixel's bytes
// summed, for grey and colour images of sizes that divide evenly and that
// do not.
func TestDirtMeans(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		w, h   int
		format sensors.PixelFormat
	}{
		{320, 240, sensors.Gray8}, {640, 480, sensors.Gray8}, {333, 197, sensors.Gray8},
		{16, 12, sensors.Gray8}, {1280, 720, sensors.RGB24}, {161, 121, sensors.RGB24},
	} {
		bpp := tc.format.BytesPerPixel()
		stride := tc.w*bpp + 3
		im := &sensors.Image{Width: tc.w, Height: tc.h, Stride: stride, Format: tc.format, Pix: make([]byte, tc.h*stride)}
		for i := range im.Pix {
			im.Pix[i] = byte(r.IntN(256))
		}
		var g blockGrid
		var got [dirtCells]float32
		if ok, fresh := g.means(im, &got); !ok || !fresh {
			t.Fatalf("%d×%d: no means, or not fresh on the first frame (ok %v, fresh %v)", tc.w, tc.h, ok, fresh)
		}
		var sum, n [dirtCells]float64
		sx, sy := max(1, tc.w/dirtSampleCols), max(1, tc.h/dirtSampleRows)
		for y := 0; y < tc.h; y += sy {
			for x := 0; x < tc.w; x += sx {
				b := y*DirtRows/tc.h*DirtCols + x*DirtCols/tc.w
				for c := range bpp {
					sum[b] += float64(im.Pix[y*stride+x*bpp+c])
				}
				n[b]++
			}
		}
		for b := range got {
			if want := sum[b] / n[b]; math.Abs(float64(got[b])-want) > 1e-3*want {
				t.Fatalf("%d×%d format %d: block %d: mean %v, want %v", tc.w, tc.h, tc.format, b, got[b], want)
			}
		}
	}
}
