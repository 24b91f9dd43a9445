package integrity

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// TestBlockMeans: the block means are those of the sampled pixels (every
// Width/80-th of every Height/60-th row) of each block, a pixel's bytes
// summed, for grey and colour images of sizes that divide evenly and that
// do not; a second frame keeps the first one's as Prev.
func TestBlockMeans(t *testing.T) {
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
		var b BlockMeans
		if !b.Of(im) || b.HavePrev {
			t.Fatalf("%d×%d: no means, or a previous frame's on the first frame", tc.w, tc.h)
		}
		got := b.M
		if !b.Of(im) || !b.HavePrev || b.Prev != got {
			t.Fatalf("%d×%d: a second frame does not keep the first one's means as Prev", tc.w, tc.h)
		}
		var sum, n [BlockCells]float64
		sx, sy := max(1, tc.w/blockSampleCols), max(1, tc.h/blockSampleRows)
		for y := 0; y < tc.h; y += sy {
			for x := 0; x < tc.w; x += sx {
				b := y*BlockRows/tc.h*BlockCols + x*BlockCols/tc.w
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
