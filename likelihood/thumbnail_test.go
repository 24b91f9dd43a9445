package likelihood

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/features"
	"github.com/sensortrust/trustagent/sensors"
)

// rgbAndLuma returns a random RGB24 image (stride padded) and the Gray8
// image of its BT.601 luma (features.Luma).
func rgbAndLuma(w, h int, seed uint64) (rgb, gray *sensors.Image) {
	rng := rand.New(rand.NewPCG(seed, 1))
	rgb = &sensors.Image{Width: w, Height: h, Stride: 3*w + 7, Format: sensors.RGB24, Pix: make([]byte, (3*w+7)*h)}
	for i := range rgb.Pix {
		rgb.Pix[i] = byte(rng.IntN(256))
	}
	gray = &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
	for y := range h {
		for x := range w {
			gray.Pix[y*w+x] = uint8(features.Luma(rgb, x, y))
		}
	}
	return rgb, gray
}

// An RGB24 image is encoded as its luma, bit for bit, without a full-frame
// luma copy: the thumbnail and the statistics of an RGB image equal those
// of the Gray8 image of its luma.
func TestRGBEncodesAsItsLuma(t *testing.T) {
	r := Repr{Kind: sensors.KindCamera, ThumbW: 16, ThumbH: 12}
	for i, sz := range [][2]int{{64, 48}, {320, 240}, {333, 97}, {17, 300}} {
		rgb, gray := rgbAndLuma(sz[0], sz[1], uint64(i))
		a, b := make([]float64, r.ImageDims()), make([]float64, r.ImageDims())
		newEncoder(&r).thumbnail(a, rgb)
		newEncoder(&r).thumbnail(b, gray)
		for k := range a {
			if math.Float64bits(a[k]) != math.Float64bits(b[k]) {
				t.Fatalf("%d×%d: thumbnail input %d: RGB %v, luma %v", sz[0], sz[1], k, a[k], b[k])
			}
		}
		var ea, eb features.CameraExtractor
		for range 2 { // the second frame has change statistics
			sa, err := ea.Next(nil, rgb)
			if err != nil {
				t.Fatal(err)
			}
			sb, _ := eb.Next(nil, gray)
			for k := range sa {
				if math.Float64bits(sa[k]) != math.Float64bits(sb[k]) {
					t.Fatalf("%d×%d: statistic %d: RGB %v, luma %v", sz[0], sz[1], k, sa[k], sb[k])
				}
			}
		}
	}
}
