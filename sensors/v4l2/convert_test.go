package v4l2

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"
)

func TestYUYVToGray(t *testing.T) {
	// 4×2, rows padded to 10 bytes: Y0 U Y1 V Y2 U Y3 V pad pad.
	src := []byte{
		10, 128, 20, 128, 30, 128, 40, 128, 0xEE, 0xEE,
		50, 1, 60, 2, 70, 3, 80, 4, 0xEE, 0xEE,
	}
	dst := make([]byte, 8)
	if err := YUYVToGray(dst, src, 4, 2, 10); err != nil {
		t.Fatal(err)
	}
	if want := []byte{10, 20, 30, 40, 50, 60, 70, 80}; !bytes.Equal(dst, want) {
		t.Errorf("gray = %v, want %v", dst, want)
	}
	if err := YUYVToGray(dst, src[:15], 4, 2, 10); !errors.Is(err, ErrFrameSize) {
		t.Errorf("short frame: %v", err)
	}
	if err := YUYVToGray(dst, src, 3, 2, 0); err == nil {
		t.Error("odd width accepted")
	}
	if err := YUYVToGray(dst, src, 4, 2, 6); err == nil {
		t.Error("stride below 2w accepted")
	}
}

// testJPEG encodes a w×h gradient with a bright square.
func testJPEG(t testing.TB, w, h int) ([]byte, []byte) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio422)
	luma := make([]byte, w*h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := byte(16 + 200*x/w)
			if x > w/4 && x < w/2 && y > h/4 && y < h/2 {
				v = 235
			}
			img.Y[y*img.YStride+x] = v
			luma[y*w+x] = v
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), luma
}

// stripDHT removes every DHT segment, as UVC cameras send MJPEG.
func stripDHT(t testing.TB, b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	i := 2
	for i+4 <= len(b) {
		if b[i+1] == 0xDA {
			return append(out, b[i:]...)
		}
		n := int(b[i+2])<<8 | int(b[i+3])
		if b[i+1] != 0xC4 {
			out = append(out, b[i:i+2+n]...)
		}
		i += 2 + n
	}
	t.Fatal("no SOS")
	return nil
}

func TestMJPEGToGray(t *testing.T) {
	frame, luma := testJPEG(t, 64, 48)
	pix, w, h, err := MJPEGToGray(frame)
	if err != nil {
		t.Fatal(err)
	}
	if w != 64 || h != 48 || len(pix) != 64*48 {
		t.Fatalf("size %d×%d, %d bytes", w, h, len(pix))
	}
	var sum int
	for i := range pix {
		d := int(pix[i]) - int(luma[i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	// JPEG at quality 95 is lossy; mean absolute luma error stays small.
	if mae := float64(sum) / float64(len(pix)); mae > 2 {
		t.Errorf("mean absolute luma error %.2f, want ≤ 2", mae)
	}

	// The same frame without Huffman tables decodes identically.
	stripped := stripDHT(t, frame)
	if bytes.Contains(stripped, []byte{0xFF, 0xC4}) {
		t.Fatal("DHT still present")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("image/jpeg decoded a frame without DHT; the test proves nothing")
	}
	pix2, _, _, err := MJPEGToGray(stripped)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pix, pix2) {
		t.Error("DHT-less frame decodes differently from the original")
	}
}

func TestMJPEGToGrayCorrupt(t *testing.T) {
	frame, _ := testJPEG(t, 32, 32)
	cases := map[string][]byte{
		"empty":     nil,
		"no SOI":    frame[2:],
		"truncated": frame[:len(frame)/2],
		"bad length": func() []byte {
			b := append([]byte(nil), frame...)
			b[4], b[5] = 0, 1
			return b
		}(),
	}
	for name, b := range cases {
		if _, _, _, err := MJPEGToGray(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzMJPEGToGray(f *testing.F) {
	frame, _ := testJPEG(f, 16, 16)
	f.Add(frame)
	f.Add(stripDHT(f, frame))
	f.Add([]byte{0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02})
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) > 1<<16 {
			return
		}
		pix, w, h, err := MJPEGToGray(in)
		if err == nil && len(pix) != w*h {
			t.Fatalf("%d bytes for %d×%d", len(pix), w, h)
		}
	})
}

func FuzzYUYVToGray(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, 2, 2, 0)
	f.Add([]byte{1, 2, 3, 4}, 4, 1, 8)
	f.Fuzz(func(t *testing.T, src []byte, w, h, stride int) {
		if w > 1<<10 || h > 1<<10 || w < -1 || h < -1 {
			return
		}
		dst := make([]byte, max(w*h, 0))
		if err := YUYVToGray(dst, src, w, h, stride); err != nil {
			return
		}
		if stride == 0 {
			stride = 2 * w
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				if dst[y*w+x] != src[y*stride+2*x] {
					t.Fatalf("pixel (%d,%d) wrong", x, y)
				}
			}
		}
	})
}

func BenchmarkYUYVToGray640x480(b *testing.B) {
	src := make([]byte, 640*480*2)
	dst := make([]byte, 640*480)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		if err := YUYVToGray(dst, src, 640, 480, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMJPEGToGray640x480(b *testing.B) {
	frame, _ := testJPEG(b, 640, 480)
	frame = stripDHT(b, frame)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if _, _, _, err := MJPEGToGray(frame); err != nil {
			b.Fatal(err)
		}
	}
}
