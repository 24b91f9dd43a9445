package integrity

import "github.com/sensortrust/trustagent/sensors"

// blockGrid computes a frame's block means on the DirtCols × DirtRows grid
// from about dirtSampleCols × dirtSampleRows sampled pixels, whatever the
// image size, for the checks that look at how parts of the image changed
// between frames (lens dirt, veil).
type blockGrid struct {
	w, h, stride int
	format       sensors.PixelFormat
	start        [DirtCols + 1]int // first byte of each block's columns in a row; the row's length last
	count        [dirtCells]float32
}

// means fills m with im's block means of sampled pixels (the sum of a
// pixel's bytes). ok is false when im is smaller than the grid or its
// buffer does not hold its geometry; fresh is true when im's size, stride
// or format differs from the frame before, whose means m cannot be
// compared with.
func (g *blockGrid) means(im *sensors.Image, m *[dirtCells]float32) (ok, fresh bool) {
	bpp, rowBytes, ok := rowGeometry(im)
	if !ok || im.Width < DirtCols || im.Height < DirtRows {
		return false, false
	}
	sx, sy := max(1, im.Width/dirtSampleCols), max(1, im.Height/dirtSampleRows)
	if im.Width != g.w || im.Height != g.h || im.Stride != g.stride || im.Format != g.format {
		g.w, g.h, g.stride, g.format = im.Width, im.Height, im.Stride, im.Format
		fresh = true
		// Block b holds the sampled columns k·sx with b ≤ k·sx·DirtCols/Width
		// < b+1: from the first k with k·sx·DirtCols ≥ b·Width.
		var cols [DirtCols + 1]int // sampled columns before each block
		for b := range DirtCols + 1 {
			cols[b] = (b*im.Width + sx*DirtCols - 1) / (sx * DirtCols)
		}
		for b := range DirtCols {
			g.start[b] = cols[b] * sx * bpp
		}
		g.start[DirtCols] = rowBytes
		g.count = [dirtCells]float32{}
		for y := 0; y < im.Height; y += sy {
			by := y * DirtRows / im.Height
			for b := range DirtCols {
				g.count[by*DirtCols+b] += float32(cols[b+1] - cols[b])
			}
		}
	}
	var sum [dirtCells]uint32
	step := sx * bpp
	for y := 0; y < im.Height; y += sy {
		row := im.Pix[y*im.Stride : y*im.Stride+rowBytes]
		s := sum[y*DirtRows/im.Height*DirtCols:][:DirtCols]
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
