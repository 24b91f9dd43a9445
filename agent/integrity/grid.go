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

// BlockMeans are a camera frame's block means: the mean of the sampled
// pixels of each block, a pixel's bytes summed, from about 4 800 pixels
// whatever the image size. One BlockMeans computes them once per frame
// for every check that takes them; it keeps the sampling set up for the
// last geometry.
//
// The zero value is ready; it is not safe for concurrent use.
type BlockMeans struct {
	M     [BlockCells]float32 // row-major, BlockCols to a row
	Fresh bool                // the frame's size, stride or format differs from the one before
	bpp   int
	grid  blockGrid
}

// Of computes im's block means into b. It returns false, leaving b as it
// was, when im is smaller than the grid or its buffer does not hold its
// geometry.
func (b *BlockMeans) Of(im *sensors.Image) bool {
	var m [BlockCells]float32
	ok, fresh := b.grid.means(im, &m)
	if ok {
		b.M, b.Fresh, b.bpp = m, fresh, im.Format.BytesPerPixel()
	}
	return ok
}

// blockGrid samples frames of one geometry into block means.
type blockGrid struct {
	w, h, stride int
	format       sensors.PixelFormat
	start        [BlockCols + 1]int // first byte of each block's columns in a row; the row's length last
	count        [BlockCells]float32
}

// means fills m with im's block means of sampled pixels (the sum of a
// pixel's bytes). ok is false when im is smaller than the grid or its
// buffer does not hold its geometry; fresh is true when im's size, stride
// or format differs from the frame before, whose means m cannot be
// compared with.
func (g *blockGrid) means(im *sensors.Image, m *[BlockCells]float32) (ok, fresh bool) {
	bpp, rowBytes, ok := rowGeometry(im)
	if !ok || im.Width < BlockCols || im.Height < BlockRows {
		return false, false
	}
	sx, sy := max(1, im.Width/blockSampleCols), max(1, im.Height/blockSampleRows)
	if im.Width != g.w || im.Height != g.h || im.Stride != g.stride || im.Format != g.format {
		g.w, g.h, g.stride, g.format = im.Width, im.Height, im.Stride, im.Format
		fresh = true
		// Block b holds the sampled columns k·sx with b ≤ k·sx·BlockCols/Width
		// < b+1: from the first k with k·sx·BlockCols ≥ b·Width.
		var cols [BlockCols + 1]int // sampled columns before each block
		for b := range BlockCols + 1 {
			cols[b] = (b*im.Width + sx*BlockCols - 1) / (sx * BlockCols)
		}
		for b := range BlockCols {
			g.start[b] = cols[b] * sx * bpp
		}
		g.start[BlockCols] = rowBytes
		g.count = [BlockCells]float32{}
		for y := 0; y < im.Height; y += sy {
			by := y * BlockRows / im.Height
			for b := range BlockCols {
				g.count[by*BlockCols+b] += float32(cols[b+1] - cols[b])
			}
		}
	}
	var sum [BlockCells]uint32
	step := sx * bpp
	for y := 0; y < im.Height; y += sy {
		row := im.Pix[y*im.Stride : y*im.Stride+rowBytes]
		s := sum[y*BlockRows/im.Height*BlockCols:][:BlockCols]
		for b := range s {
			seg := row[g.start[b]:g.start[b+1]]
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
			s[b] += acc
		}
	}
	for i := range m {
		m[i] = float32(sum[i]) / g.count[i]
	}
	return true, fresh
}
