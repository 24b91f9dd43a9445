package integrity_test

import (
	"context"
	"os"
	"testing"

	"github.com/sensortrust/trustagent/agent/integrity"
	"github.com/sensortrust/trustagent/agent/level"
	"github.com/sensortrust/trustagent/internal/scenes"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

// uniform returns a w×h image of format f, every pixel px, with stride
// padding of 0xAA that must not count.
func uniform(f sensors.PixelFormat, w, h int, px ...byte) *sensors.Image {
	bpp := f.BytesPerPixel()
	stride := w*bpp + 5
	im := &sensors.Image{Width: w, Height: h, Stride: stride, Format: f, Pix: make([]byte, h*stride)}
	for y := range h {
		row := im.Pix[y*stride : (y+1)*stride]
		for x := range row {
			row[x] = 0xAA
		}
		for x := range w {
			copy(row[x*bpp:], px)
		}
	}
	return im
}

func TestBlank(t *testing.T) {
	black := uniform(sensors.Gray8, 320, 240, 0)
	white := uniform(sensors.Gray8, 320, 240, 255)
	rgb := uniform(sensors.RGB24, 64, 48, 10, 20, 30)
	for name, im := range map[string]*sensors.Image{"black": black, "white": white, "one RGB colour": rgb, "one pixel": uniform(sensors.Gray8, 1, 1, 7)} {
		if !integrity.Blank(im) {
			t.Errorf("%s: not blank", name)
		}
	}
	notBlank := map[string]*sensors.Image{}
	last := uniform(sensors.Gray8, 320, 240, 0)
	last.Pix[239*last.Stride+319] = 1
	notBlank["last pixel differs"] = last
	row := uniform(sensors.Gray8, 320, 240, 0)
	for x := range 320 {
		row.Pix[100*row.Stride+x] = 9 // a row of one value, another than the rest
	}
	notBlank["one row of another value"] = row
	rot := uniform(sensors.RGB24, 64, 48, 10, 20, 30)
	copy(rot.Pix[3:], []byte{20, 30, 10}) // the same bytes, rotated: another colour
	notBlank["a pixel of other channels"] = rot
	short := uniform(sensors.Gray8, 320, 240, 0)
	short.Pix = short.Pix[:len(short.Pix)-short.Stride]
	notBlank["short buffer"] = short
	notBlank["no width"] = &sensors.Image{Height: 2, Stride: 4, Format: sensors.Gray8, Pix: make([]byte, 8)}
	for name, im := range notBlank {
		if integrity.Blank(im) {
			t.Errorf("%s: blank", name)
		}
	}
}

// TestBlankFrames: one blank frame is bad on its own; from the second
// within BlankWindow frames every frame is bad, until the window holds
// fewer than BlankRecent; Reset forgets.
func TestBlankFrames(t *testing.T) {
	black := uniform(sensors.Gray8, 32, 24, 0)
	frames := simImages(t, 7, 3, 32, 24)
	var b integrity.BlankFrames
	if r := b.Check(frames[0]); r.Blank || r.Recent != 0 || r.Level() != level.OK {
		t.Fatalf("clean frame: %+v", r)
	}
	if r := b.Check(black); !r.Blank || r.Recent != 1 || r.Level() != level.Error {
		t.Fatalf("blank frame: %+v", r)
	}
	if r := b.Check(frames[1]); r.Blank || r.Recent != 1 || r.Level() != level.OK {
		t.Fatalf("clean frame after one blank one: %+v", r)
	}
	// Every third frame blank, as the fault catalogue's black_frame 1:
	// from the second blank frame on, every frame is bad.
	for i := range 3*integrity.BlankWindow + 1 {
		im := frames[2]
		if i%3 == 0 {
			im = black
		}
		if r := b.Check(im); r.Level() != level.Error || r.Recent < integrity.BlankRecent {
			t.Fatalf("frame %d of the intermittent run: %+v", i, r)
		}
	}
	// The run ended on a blank frame, its previous one three frames
	// before: that one leaves the window after BlankWindow−4 more frames,
	// and the stream is trusted again from there.
	var r integrity.BlankResult
	for i := range integrity.BlankWindow {
		r = b.Check(frames[i%3])
		if want := i >= integrity.BlankWindow-4; (r.Level() == level.OK) != want {
			t.Fatalf("frame %d after the run: %+v, want OK %v", i, r, want)
		}
	}
	if r.Recent != 0 || r.Level() != level.OK {
		t.Errorf("after %d clean frames: %+v", integrity.BlankWindow, r)
	}
	b.Check(black)
	b.Reset()
	if r := b.Check(frames[0]); r.Recent != 0 {
		t.Errorf("after Reset: %+v", r)
	}
}

// TestBlankCleanAndFaulted: no frame of clean simulated drive or of the
// real street video is blank, and every frame black_frame replaces is.
func TestBlankCleanAndFaulted(t *testing.T) {
	if raceEnabled {
		t.Skip("renders 600 simulated frames (tens of seconds under -race, where it adds nothing: make test runs it without)")
	}
	clean := simImages(t, 9, 300, 320, 240)
	clean = append(clean, simImages(t, 11, 300, 320, 240)...)
	ctx := context.Background()
	list, miss := scenes.Catalogue(ctx, sensors.KindCamera)
	found := false
	for _, s := range list {
		if s.Name != "video-vtest" {
			continue
		}
		found = true
		rec, err := s.Drive(ctx, scenes.DriveOptions{Frames: s.Len})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range rec.Frames {
			clean = append(clean, f.(*sensors.Image))
		}
	}
	if !found {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the street video is missing: %v", miss)
		}
		t.Logf("the street video is missing (%v): simulated frames only", miss)
	}
	for i, im := range clean {
		if integrity.Blank(im) {
			t.Fatalf("clean frame %d is blank", i)
		}
	}
	inj, err := faults.New(sensors.KindCamera, faults.Config{Fault: "black_frame", Severity: 1, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	var blank, n int
	for _, im := range clean[:300] {
		for _, f := range inj.Inject(im) {
			n++
			if integrity.Blank(f.(*sensors.Image)) {
				blank++
			}
		}
	}
	if blank != n/3 {
		t.Errorf("black_frame 1: %d of %d frames blank, want every third (%d)", blank, n, n/3)
	}
}

// BenchmarkBlank: a real frame costs a few bytes, a blank one a pass.
func BenchmarkBlank(b *testing.B) {
	for name, im := range map[string]*sensors.Image{
		"clean": simImages(b, 7, 1, 640, 480)[0],
		"black": uniform(sensors.Gray8, 640, 480, 0),
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				integrity.Blank(im)
			}
		})
	}
}
