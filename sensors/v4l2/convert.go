package v4l2

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"sync"
)

// ErrFrameSize is returned when a frame buffer is too small for its size.
var ErrFrameSize = errors.New("v4l2: frame buffer too small")

// YUYVToGray copies the luma of a w×h YUYV 4:2:2 frame (bytes Y0 U Y1 V,
// srcStride bytes per row, 2w when 0) into dst, w bytes per row. dst must
// hold w·h bytes. w must be even.
func YUYVToGray(dst, src []byte, w, h, srcStride int) error {
	if w <= 0 || h <= 0 || w%2 != 0 {
		return fmt.Errorf("v4l2: YUYV size %d×%d (width must be even and positive)", w, h)
	}
	if srcStride == 0 {
		srcStride = 2 * w
	}
	if srcStride < 2*w {
		return fmt.Errorf("v4l2: YUYV stride %d below 2×%d", srcStride, w)
	}
	if len(src) < srcStride*(h-1)+2*w || len(dst) < w*h {
		return fmt.Errorf("%w: YUYV %d×%d stride %d has %d bytes, gray needs %d, has %d", ErrFrameSize, w, h, srcStride, len(src), w*h, len(dst))
	}
	for y := 0; y < h; y++ {
		row := src[y*srcStride : y*srcStride+2*w]
		out := dst[y*w : (y+1)*w]
		for x := range out {
			out[x] = row[2*x]
		}
	}
	return nil
}

// MJPEGToGray decodes one Motion-JPEG frame and returns its luma plane as a
// tightly packed w×h buffer. Frames without a DHT segment get the standard
// Huffman tables inserted before the first SOS.
func MJPEGToGray(frame []byte) (pix []byte, w, h int, err error) {
	frame, err = withHuffmanTables(frame)
	if err != nil {
		return nil, 0, 0, err
	}
	img, err := jpeg.Decode(bytes.NewReader(frame))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("v4l2: MJPEG decode: %w", err)
	}
	return lumaOf(img)
}

// lumaOf extracts the Y plane of a decoded JPEG.
func lumaOf(img image.Image) ([]byte, int, int, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			i := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Y[i:i+w])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			i := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Pix[i:i+w])
		}
	default:
		// CMYK and others: BT.601 luma through the colour model.
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				out[y*w+x] = uint8((299*(r>>8) + 587*(g>>8) + 114*(bl>>8) + 500) / 1000)
			}
		}
	}
	return out, w, h, nil
}

// withHuffmanTables returns frame, or a copy with the standard DHT segment
// inserted before the first SOS when no DHT precedes it.
func withHuffmanTables(frame []byte) ([]byte, error) {
	if len(frame) < 4 || frame[0] != 0xFF || frame[1] != 0xD8 {
		return nil, errors.New("v4l2: MJPEG frame does not start with SOI")
	}
	i := 2
	for i+4 <= len(frame) {
		if frame[i] != 0xFF {
			return nil, fmt.Errorf("v4l2: MJPEG: no marker at offset %d", i)
		}
		m := frame[i+1]
		switch {
		case m == 0xC4: // DHT present
			return frame, nil
		case m == 0xDA: // SOS without DHT before it
			dht, err := standardDHT()
			if err != nil {
				return nil, err
			}
			out := make([]byte, 0, len(frame)+len(dht))
			out = append(out, frame[:i]...)
			out = append(out, dht...)
			return append(out, frame[i:]...), nil
		case m == 0xFF: // fill byte
			i++
			continue
		case m == 0x01 || (m >= 0xD0 && m <= 0xD7): // no length
			i += 2
			continue
		}
		n := int(frame[i+2])<<8 | int(frame[i+3])
		if n < 2 {
			return nil, fmt.Errorf("v4l2: MJPEG: marker 0x%02x with length %d", m, n)
		}
		i += 2 + n
	}
	return nil, errors.New("v4l2: MJPEG frame has no SOS")
}

// standardDHT returns the DHT segment holding the four Huffman tables of
// ITU-T T.81 annex K.3. Go's JPEG encoder writes exactly those tables, so
// the segment is taken from a tiny image it encodes, once.
var standardDHT = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewYCbCr(image.Rect(0, 0, 8, 8), image.YCbCrSubsampleRatio420), nil); err != nil {
		return nil, fmt.Errorf("v4l2: encoding the reference JPEG: %w", err)
	}
	b := buf.Bytes()
	for i := 2; i+4 <= len(b); {
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] == 0xC4 {
			return append([]byte(nil), b[i:i+2+n]...), nil
		}
		i += 2 + n
	}
	return nil, errors.New("v4l2: reference JPEG has no DHT")
})
