package recorded

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"math"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/sensors/sensortest"
)

func FuzzDecodeKITTI(f *testing.F) {
	rec := make([]byte, 0, 48)
	for _, v := range []float32{1, 2, 3, 0.5, float32(math.NaN()), 0, 0, 1, 0, 0, 0, 300} {
		rec = binary.LittleEndian.AppendUint32(rec, math.Float32bits(v))
	}
	f.Add(rec)
	f.Add(rec[:17])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFile(FormatKITTI, b, ModelVLP16)
		if err != nil {
			return
		}
		if err := sensortest.CheckFrame(fr); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzDecodePCD(f *testing.F) {
	f.Add([]byte(asciiPCD))
	f.Add(binaryPCD([][4]float32{{1, 2, 3, 4}}))
	f.Add([]byte("FIELDS x y z\nSIZE 8 8 8\nTYPE F F F\nWIDTH 1\nDATA binary_compressed\n\x04\x00\x00\x00\x18\x00\x00\x00\x00\x01\xe0\x10"))
	f.Add([]byte("FIELDS x y z i\nSIZE 1 2 4 8\nTYPE I U I U\nPOINTS 1\nDATA ascii\n1 2 3 4\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodePCD(b)
		if err != nil {
			return
		}
		if err := sensortest.CheckFrame(s); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseTimestamps(f *testing.F) {
	f.Add("2011-09-26 13:02:25.964389445\n2011-09-26 13:02:26.068199611\n")
	f.Add("1317043345.964389445\n\n1317043346\n")
	f.Add("1e9\n")
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseTimestamps(strings.NewReader(s))
		if err != nil {
			return
		}
		// What parses must print and parse back to the same instant.
		for _, x := range st {
			y, err := ParseStamp(FormatStamp(x))
			if err != nil || !y.Equal(x) {
				if x.Year() >= 0 && x.Year() <= 9999 {
					t.Fatalf("%v → %q → %v, %v", x, FormatStamp(x), y, err)
				}
			}
		}
	})
}

func FuzzDecodeImage(f *testing.F) {
	f.Add([]byte("P5\n2 2\n255\n\x00\x40\x80\xff"))
	f.Add([]byte("P2\n# comment\n2 1\n15\n0 15\n"))
	f.Add([]byte("P6 1 1 65535\n\x00\x01\x00\x02\x00\x03"))
	var pb, jb bytes.Buffer
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	_ = png.Encode(&pb, g)
	_ = jpeg.Encode(&jb, image.NewRGBA(image.Rect(0, 0, 8, 8)), nil)
	f.Add(pb.Bytes())
	f.Add(jb.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := DecodeImage(b)
		if err != nil {
			return
		}
		if err := sensortest.CheckFrame(im); err != nil {
			t.Fatal(err)
		}
	})
}
