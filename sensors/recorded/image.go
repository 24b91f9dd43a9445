package recorded

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strconv"

	"github.com/sensortrust/trustagent/sensors"
)

// MaxPixels and MaxDecodedBytes bound a decoded image, checked from its
// header before anything is allocated, so that a corrupt or hostile file
// cannot exhaust a small robot's memory: 16.7 megapixels is above any robot
// camera, and 64 MiB is what the standard decoders may hold for it (a
// 16-bit RGBA PNG takes 8 bytes a pixel there, so at most 8 megapixels).
const (
	MaxPixels       = 1 << 24
	MaxDecodedBytes = 64 << 20
)

// DecodeImage decodes a PNG, JPEG or PGM/PPM (binary P5/P6 or ASCII P2/P3)
// file into an 8-bit gray or RGB image; which one is chosen by the file's
// own colour model (gray stays gray). 16-bit samples keep their high byte.
func DecodeImage(b []byte) (*sensors.Image, error) {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		cfg, err := png.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: PNG: %v", ErrFormat, err)
		}
		if err := checkDecoded(cfg); err != nil {
			return nil, err
		}
		im, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: PNG: %v", ErrFormat, err)
		}
		return fromStd(im), nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8}):
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: JPEG: %v", ErrFormat, err)
		}
		if err := checkDecoded(cfg); err != nil {
			return nil, err
		}
		im, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: JPEG: %v", ErrFormat, err)
		}
		return fromStd(im), nil
	case len(b) >= 2 && b[0] == 'P' && b[1] >= '2' && b[1] <= '6' && b[1] != '4':
		return decodePNM(b)
	}
	return nil, fmt.Errorf("%w: not a PNG, JPEG or PGM/PPM image", ErrFormat)
}

func checkSize(w, h int) error {
	if w <= 0 || h <= 0 || w > MaxPixels/h {
		return fmt.Errorf("%w: image size %d×%d (at most %d pixels)", ErrFormat, w, h, MaxPixels)
	}
	return nil
}

// checkDecoded checks the size of an image and what the standard decoder
// would allocate for it.
func checkDecoded(cfg image.Config) error {
	if err := checkSize(cfg.Width, cfg.Height); err != nil {
		return err
	}
	bpp := 4 // RGBA, NRGBA, YCbCr with its chroma, CMYK
	switch cfg.ColorModel {
	case color.GrayModel:
		bpp = 1
	case color.Gray16Model:
		bpp = 2
	case color.RGBA64Model, color.NRGBA64Model:
		bpp = 8
	}
	if _, ok := cfg.ColorModel.(color.Palette); ok {
		bpp = 1
	}
	if cfg.Width*cfg.Height*bpp > MaxDecodedBytes {
		return fmt.Errorf("%w: image %d×%d at %d bytes a pixel needs more than %d MiB to decode", ErrFormat, cfg.Width, cfg.Height, bpp, MaxDecodedBytes>>20)
	}
	return nil
}

// fromStd converts a decoded image to a sensors.Image.
func fromStd(im image.Image) *sensors.Image {
	r := im.Bounds()
	w, h := r.Dx(), r.Dy()
	switch m := im.(type) {
	case *image.Gray:
		out := &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
		for y := 0; y < h; y++ {
			copy(out.Pix[y*w:(y+1)*w], m.Pix[y*m.Stride:y*m.Stride+w])
		}
		return out
	}
	if im.ColorModel() == color.GrayModel || im.ColorModel() == color.Gray16Model {
		out := &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out.Pix[y*w+x] = color.GrayModel.Convert(im.At(r.Min.X+x, r.Min.Y+y)).(color.Gray).Y
			}
		}
		return out
	}
	out := &sensors.Image{Width: w, Height: h, Stride: 3 * w, Format: sensors.RGB24, Pix: make([]byte, 3*w*h)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBAModel.Convert(im.At(r.Min.X+x, r.Min.Y+y)).(color.NRGBA)
			i := y*out.Stride + 3*x
			out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
		}
	}
	return out
}

// toStd wraps a sensors.Image for the image encoders.
func toStd(im *sensors.Image) (image.Image, error) {
	if im.Width <= 0 || im.Height <= 0 || im.Stride < im.Width*im.Format.BytesPerPixel() ||
		len(im.Pix) < (im.Height-1)*im.Stride+im.Width*im.Format.BytesPerPixel() {
		return nil, fmt.Errorf("recorded: image %d×%d stride %d holds %d bytes", im.Width, im.Height, im.Stride, len(im.Pix))
	}
	switch im.Format {
	case sensors.Gray8:
		return &image.Gray{Pix: im.Pix, Stride: im.Stride, Rect: image.Rect(0, 0, im.Width, im.Height)}, nil
	case sensors.RGB24:
		out := image.NewNRGBA(image.Rect(0, 0, im.Width, im.Height))
		for y := 0; y < im.Height; y++ {
			for x := 0; x < im.Width; x++ {
				s := y*im.Stride + 3*x
				d := y*out.Stride + 4*x
				out.Pix[d], out.Pix[d+1], out.Pix[d+2], out.Pix[d+3] = im.Pix[s], im.Pix[s+1], im.Pix[s+2], 255
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("recorded: unknown pixel format %d", im.Format)
}

// decodePNM decodes Netpbm gray (P2 ASCII, P5 binary) and colour (P3, P6)
// images with maxval up to 65535; 16-bit samples are scaled to 8 bits.
func decodePNM(b []byte) (*sensors.Image, error) {
	magic := b[1]
	p := 2
	var hdr [3]int // width, height, maxval
	for i := range hdr {
		v, next, err := pnmInt(b, p)
		if err != nil {
			return nil, err
		}
		hdr[i], p = v, next
	}
	w, h, maxval := hdr[0], hdr[1], hdr[2]
	if err := checkSize(w, h); err != nil {
		return nil, err
	}
	if maxval < 1 || maxval > 65535 {
		return nil, fmt.Errorf("%w: PGM maxval %d", ErrFormat, maxval)
	}
	ch := 1
	format := sensors.Gray8
	if magic == '3' || magic == '6' {
		ch, format = 3, sensors.RGB24
	}
	n := w * h * ch
	out := &sensors.Image{Width: w, Height: h, Stride: w * ch, Format: format}
	scale := func(v int) byte { return byte((v*255 + maxval/2) / maxval) }
	if magic == '5' || magic == '6' {
		// Exactly one whitespace byte separates the header from the raster.
		if p >= len(b) {
			return nil, fmt.Errorf("%w: PGM raster missing", ErrTruncated)
		}
		p++
		bps := 1
		if maxval > 255 {
			bps = 2
		}
		if len(b)-p < n*bps {
			return nil, fmt.Errorf("%w: PGM raster holds %d of %d bytes", ErrTruncated, len(b)-p, n*bps)
		}
		out.Pix = make([]byte, n)
		for i := range out.Pix {
			v := int(b[p+i*bps])
			if bps == 2 {
				v = v<<8 | int(b[p+i*bps+1])
			}
			out.Pix[i] = scale(min(v, maxval))
		}
		return out, nil
	}
	out.Pix = make([]byte, 0, min(n, len(b)))
	for i := 0; i < n; i++ {
		v, next, err := pnmInt(b, p)
		if err != nil {
			return nil, err
		}
		p = next
		out.Pix = append(out.Pix, scale(min(v, maxval)))
	}
	return out, nil
}

// pnmInt reads the next decimal number at or after b[p], skipping
// whitespace and # comments; it returns the index just past the number.
func pnmInt(b []byte, p int) (int, int, error) {
	for p < len(b) {
		c := b[p]
		if c == '#' {
			for p < len(b) && b[p] != '\n' {
				p++
			}
			continue
		}
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			p++
			continue
		}
		break
	}
	start := p
	for p < len(b) && b[p] >= '0' && b[p] <= '9' && p-start < 9 {
		p++
	}
	if p == start {
		return 0, p, fmt.Errorf("%w: PGM header or ASCII raster", ErrTruncated)
	}
	v, _ := strconv.Atoi(string(b[start:p]))
	return v, p, nil
}
