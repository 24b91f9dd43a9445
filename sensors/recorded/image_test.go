package recorded

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sensortest"
)

func TestDecodePNM(t *testing.T) {
	im, err := DecodeImage([]byte("P5\n# made by hand\n3 1\n255\n\x00\x80\xff"))
	if err != nil {
		t.Fatal(err)
	}
	if im.Format != sensors.Gray8 || im.Width != 3 || !bytes.Equal(im.Pix, []byte{0, 128, 255}) {
		t.Errorf("P5: %+v", im)
	}
	im, err = DecodeImage([]byte("P2 2 1 15 0 15"))
	if err != nil || !bytes.Equal(im.Pix, []byte{0, 255}) {
		t.Errorf("P2 maxval 15: %v %v", err, im)
	}
	im, err = DecodeImage([]byte("P6 1 1 65535\n\xff\xff\x80\x00\x00\x00"))
	if err != nil || im.Format != sensors.RGB24 || !bytes.Equal(im.Pix, []byte{255, 128, 0}) {
		t.Errorf("P6 16-bit: %v %+v", err, im)
	}
	for _, bad := range []string{"P5\n3 1\n255\n\x00", "P5 0 1 255\n", "P5 2 2 70000\n....", "P7 1 1 1\n"} {
		if _, err := DecodeImage([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestJPEGDirectory(t *testing.T) {
	dir := t.TempDir()
	for i := 0; i < 3; i++ {
		g := image.NewGray(image.Rect(0, 0, 16, 8))
		for j := range g.Pix {
			g.Pix[j] = byte(40 * i)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, g, &jpeg.Options{Quality: 95}); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "frame"+string(rune('0'+i))+".jpg"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := OpenDir(dir, DirOptions{Rate: 20})
	if err != nil {
		t.Fatal(err)
	}
	if d.HasStamps() || d.Stamp(2).Sub(d.Stamp(0)) != 100*time.Millisecond {
		t.Errorf("synthesised stamps %v %v", d.Stamp(0), d.Stamp(2))
	}
	f, err := d.Read(2)
	if err != nil {
		t.Fatal(err)
	}
	im := f.(*sensors.Image)
	if im.Format != sensors.Gray8 || im.Width != 16 || im.Height != 8 {
		t.Fatalf("%v %dx%d", im.Format, im.Width, im.Height)
	}
	if v := im.GrayAt(3, 3); v < 75 || v > 85 {
		t.Errorf("gray %d, want ≈80", v)
	}
	// Colour JPEGs stay colour.
	rgb := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for j := 0; j < 64; j++ {
		rgb.Set(j%8, j/8, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, rgb, nil)
	cim, err := DecodeImage(b.Bytes())
	if err != nil || cim.Format != sensors.RGB24 || cim.Pix[0] < 180 {
		t.Errorf("colour JPEG: %v %v", err, cim)
	}
}

func TestSourceConformance(t *testing.T) {
	dir := t.TempDir()
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		if err := w.Write(testScan(i, time.Unix(1e9, 0).Add(time.Duration(i)*50*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []SourceOptions{
		{Repeat: Loop},
		{Pacing: PaceFast, Repeat: Loop, Clock: ClockWall},
		{Pacing: PaceRate, Rate: 100, Repeat: Loop},
	} {
		sensortest.Run(t, func(t *testing.T) sensors.Source {
			d, err := OpenDir(dir, DirOptions{Sensor: "lidar0", Model: ModelVLP16})
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSource(d, opts)
			if err != nil {
				t.Fatal(err)
			}
			return s
		})
	}
	// ClockWall stamps start at the wall clock.
	d, _ := OpenDir(dir)
	s, _ := NewSource(d, SourceOptions{Pacing: PaceFast, Clock: ClockWall})
	var first time.Time
	_ = s.Run(context.Background(), func(f sensors.Frame) {
		if first.IsZero() {
			first = f.Head().Stamp
		}
	})
	if time.Since(first) > time.Minute {
		t.Errorf("ClockWall first stamp %v", first)
	}
}
