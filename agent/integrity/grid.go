package integrity

import "github.com/sensortrust/trustagent/sensors"

// The block grid of the camera checks that follow how parts of the image
// change between frames (lens dirt, veil).
const (
	// BlockCols and BlockRows are the grid, whatever the image size (20 ×
	// 20 pixels at 320×240).
	BlockCols, BlockRows = 16, 12
	// BlockCells is the number of blocks.
	BlockCells = BlockCols * BlockRows

	// blockSampleCols and blockSampleRows: about how many pixels of a row,
	// and rows of the image, are sampled: every Width/80-th pixel of every
	// Height/60-th row.
	blockSampleCols, blockSampleRows = 80, 60
)

// BlockMeans are a camera frame's block means, and the previous frame's:
// the mean of the sampled pixels of each block, a pixel's bytes summed,
// from about 4 800 pixels whatever the image size. One BlockMeans
// computes them once per frame for every check that takes them; it keeps
// the sampling set up for the last geometry.
//
// The zero value is ready; it is not safe for concurrent use.
type BlockMeans struct {
	M, Prev [BlockCells]float32 // row-major, BlockCols to a row
	// HavePrev: Prev holds the frame before, of the same size, stride and
	// format; false on the first frame and when the geometry changed.
	HavePrev bool

	have         bool
	bpp          int
	w, h, stride int
	format       sensors.PixelFormat
	start        [BlockCols + 1]int // first byte of each block's columns in a row; the row's length last
	count        [BlockCells]float32
}

// Of computes im's block means into M, moving the last ones to Prev. It
// returns false, leaving b as it was, when im is smaller than the grid or
// its buffer does not hold its geometry.
func (b *BlockMeans) Of(im *sensors.Image) bool {
	bpp, rowBytes, ok := rowGeometry(im)
	if !ok || im.Width < BlockCols || im.Height < BlockRows {
		return false
	}
	sx, sy := max(1, im.Width/blockSampleCols), max(1, im.Height/blockSampleRows)
	b.HavePrev, b.Prev = b.have, b.M
	if im.Width != b.w || im.Height != b.h || im.Stride != b.stride || im.Format != b.format {
		b.w, b.h, b.stride, b.format, b.bpp = im.Width, im.Height, im.Stride, im.Format, bpp
		b.HavePrev = false
		// Block b holds the sampled columns k·sx with b ≤ k·sx·BlockCols/Width
		// < b+1: from the first k with k·sx·BlockCols ≥ b·Width.
		var cols [BlockCols + 1]int // sampled columns before each block
		for k := range BlockCols + 1 {
			cols[k] = (k*im.Width + sx*BlockCols - 1) / (sx * BlockCols)
		}
		for k := range BlockCols {
			b.start[k] = cols[k] * sx * bpp
		}
		b.start[BlockCols] = rowBytes
		b.count = [BlockCells]float32{}
		for y := 0; y < im.Height; y += sy {
			by := y * BlockRows / im.Height
			for k := range BlockCols {
				b.count[by*BlockCols+k] += float32(cols[k+1] - cols[k])
			}
		}
	}
	var sum [BlockCells]uint32
	step := sx * bpp
	for y := 0; y < im.Height; y += sy {
		row := im.Pix[y*im.Stride : y*im.Stride+rowBytes]
		s := sum[y*BlockRows/im.Height*BlockCols:][:BlockCols]
		for k := range s {
			seg := row[b.start[k]:b.start[k+1]]
			var acc uint32
			if bpp == 1 {
				for x := 0; x < len(seg); x += step {
					acc += uint32(seg[x])
				}
			} else {
				for x := 0; x+2 < len(seg); x += step {
					acc += uint32(seg[x]) + uint32(seg[x+1]) + uint32(seg[x+2])
				}
			}
			s[k] += acc
		}
	}
	for i := range b.M {
		b.M[i] = float32(sum[i]) / b.count[i]
	}
	b.have = true
	return true
}
