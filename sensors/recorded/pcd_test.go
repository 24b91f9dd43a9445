package recorded

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"testing"
)

const asciiPCD = `# .PCD v0.7 - Point Cloud Data file format
VERSION 0.7
FIELDS x y z intensity ring
SIZE 4 4 4 4 2
TYPE F F F F U
COUNT 1 1 1 1 1
WIDTH 3
HEIGHT 1
VIEWPOINT 0 0 0 1 0 0 0
POINTS 3
DATA ascii
1 2 3 100 4
nan nan nan 0 0
-1.5 0 0.5 255 15
`

func TestDecodePCDASCII(t *testing.T) {
	s, err := DecodePCD([]byte(asciiPCD))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2 || s.Rings != 16 {
		t.Fatalf("%d points, Rings %d", len(s.Points), s.Rings)
	}
	p := s.Points[0]
	if p.X != 1 || p.Y != 2 || p.Z != 3 || p.Ring != 4 || math.Abs(float64(p.Intensity)-100.0/255) > 1e-6 {
		t.Errorf("point 0 %+v", p)
	}
	if math.Abs(float64(p.Range)-math.Sqrt(14)) > 1e-5 {
		t.Errorf("range %v", p.Range)
	}
	// x = −1.5, y = 0: azimuth is 270° clockwise from +y.
	if q := s.Points[1]; math.Abs(float64(q.Azimuth)-1.5*math.Pi) > 1e-6 || q.Intensity != 1 {
		t.Errorf("point 1 %+v", q)
	}
}

// binaryPCD builds a binary PCD with a 3-element normal field between
// x y z and intensity, to exercise COUNT > 1 and field offsets.
func binaryPCD(pts [][4]float32) []byte {
	var b bytes.Buffer
	b.WriteString("VERSION .7\nFIELDS x y z normal intensity\nSIZE 4 4 4 4 1\nTYPE F F F F U\nCOUNT 1 1 1 3 1\n")
	b.WriteString("WIDTH " + itoa(len(pts)) + "\nHEIGHT 1\nPOINTS " + itoa(len(pts)) + "\nDATA binary\n")
	for _, p := range pts {
		for _, v := range []float32{p[0], p[1], p[2], 9, 9, 9} {
			_ = binary.Write(&b, binary.LittleEndian, v)
		}
		b.WriteByte(byte(p[3]))
	}
	return b.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDecodePCDBinary(t *testing.T) {
	pts := [][4]float32{{1, 0, 0, 10}, {0, 5, 1, 20}, {3, 4, 0, 0}}
	s, err := DecodePCD(binaryPCD(pts))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 3 || s.Rings != 0 {
		t.Fatalf("%d points, Rings %d", len(s.Points), s.Rings)
	}
	for i, p := range s.Points {
		if p.X != pts[i][0] || p.Y != pts[i][1] || p.Z != pts[i][2] {
			t.Errorf("point %d %+v", i, p)
		}
	}
	if s.Points[2].Range != 5 {
		t.Errorf("range %v", s.Points[2].Range)
	}
	full := binaryPCD(pts)
	if _, err := DecodePCD(full[:len(full)-3]); !errors.Is(err, ErrTruncated) {
		t.Errorf("cut binary PCD: %v", err)
	}
}

func TestDecodePCDCompressed(t *testing.T) {
	// Two points, fields x y z (F4), stored field-major and LZF-coded with
	// one literal run and one back-reference.
	soa := make([]byte, 0, 24)
	for _, v := range []float32{1, 1, 2, 2, 3, 3} { // x0 x1 y0 y1 z0 z1
		soa = binary.LittleEndian.AppendUint32(soa, math.Float32bits(v))
	}
	// Literal: the first 20 bytes; then copy 4 bytes from distance 4 (z1 = z0).
	lzf := append([]byte{19}, soa[:20]...)
	lzf = append(lzf, byte((4-2)<<5), 3) // len 4 → ctrl (4−2)<<5, offset 4−1 = 3
	var b bytes.Buffer
	b.WriteString("FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nHEIGHT 1\nDATA binary_compressed\n")
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(lzf)))
	_ = binary.Write(&b, binary.LittleEndian, uint32(len(soa)))
	b.Write(lzf)
	s, err := DecodePCD(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Points) != 2 || s.Points[1].X != 1 || s.Points[1].Y != 2 || s.Points[1].Z != 3 {
		t.Errorf("points %+v", s.Points)
	}
}

func TestDecodePCDErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no data line": "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\n",
		"no xyz":       "FIELDS a b\nSIZE 4 4\nTYPE F F\nWIDTH 1\nDATA ascii\n1 2\n",
		"sizes":        "FIELDS x y z\nSIZE 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n",
		"bad type":     "FIELDS x y z\nSIZE 4 4 3\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 2 3\n",
		"short ascii":  "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 2\nDATA ascii\n1 2 3\n",
		"bad number":   "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA ascii\n1 x 3\n",
		"huge":         "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 60000\nHEIGHT 60000\nDATA binary\n",
		"encoding":     "FIELDS x y z\nSIZE 4 4 4\nTYPE F F F\nWIDTH 1\nDATA zstd\n",
	} {
		if _, err := DecodePCD([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
