package likelihood

import (
	"math"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

// TestGrayThumbnailSmallSizes: the Gray8 thumbnail (its own loop) equals
// the RGB24 one (the per-sample loop) of the same luma on images as small
// as or smaller than the thumbnail, one row or column high, and with a
// padded stride.
func TestGrayThumbnailSmallSizes(t *testing.T) {
	r := Repr{Kind: sensors.KindCamera, ThumbW: 16, ThumbH: 12}
	for i, sz := range [][2]int{{2, 2}, {3, 5}, {16, 12}, {7, 40}, {40, 1}, {1, 9}, {41, 29}} {
		rgb, gray := rgbAndLuma(sz[0], sz[1], uint64(100+i))
		padded := &sensors.Image{Width: gray.Width, Height: gray.Height, Stride: gray.Width + 5, Format: sensors.Gray8,
			Pix: make([]byte, (gray.Width+5)*gray.Height)}
		for y := range gray.Height {
			copy(padded.Pix[y*padded.Stride:], gray.Pix[y*gray.Width:(y+1)*gray.Width])
		}
		want := make([]float64, r.ImageDims())
		newEncoder(&r).thumbnail(want, rgb)
		for _, g := range []*sensors.Image{gray, padded} {
			got := make([]float64, r.ImageDims())
			newEncoder(&r).thumbnail(got, g)
			for k := range got {
				if math.Float64bits(got[k]) != math.Float64bits(want[k]) {
					t.Fatalf("%d×%d stride %d: thumbnail input %d: Gray8 %v, RGB24 %v", sz[0], sz[1], g.Stride, k, got[k], want[k])
				}
			}
		}
	}
}
