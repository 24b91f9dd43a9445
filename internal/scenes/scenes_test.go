package scenes

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/recorded"
	"github.com/sensortrust/trustagent/sensors/sim"
	"github.com/sensortrust/trustagent/sensors/velodyne"
)

// missing skips the test, or fails it under CI=true, where .ci/run
// installs every source.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// sceneOf returns the first catalogued scene of the origin (and name
// prefix), or skips (fails under CI).
func sceneOf(t *testing.T, kind sensors.Kind, origin Origin, prefix string) Scene {
	t.Helper()
	list, miss := Catalogue(context.Background(), kind)
	for _, s := range list {
		if s.Origin == origin && strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	missing(t, "no %v %v scene %q*: %v", kind, origin, prefix, miss)
	return Scene{}
}

func TestCatalogue(t *testing.T) {
	for _, tc := range []struct {
		kind    sensors.Kind
		origins []Origin
		least   int
	}{
		{sensors.KindCamera, []Origin{OriginSim, OriginVideo, OriginStill}, 12},
		{sensors.KindLidar, []Origin{OriginSim, OriginCapture, OriginScan}, 8},
	} {
		list, miss := Catalogue(context.Background(), tc.kind)
		for _, m := range miss {
			if m.Install == "" || m.What == "" {
				t.Errorf("%v: missing source without install hint: %+v", tc.kind, m)
			}
			missing(t, "%v: %v", tc.kind, m)
		}
		if len(list) < tc.least {
			t.Errorf("%v: %d scenes, want at least %d", tc.kind, len(list), tc.least)
		}
		names := map[string]bool{}
		by := map[Origin]int{}
		for _, s := range list {
			if names[s.Name] || s.Name == "" {
				t.Errorf("%v: scene name %q empty or twice", tc.kind, s.Name)
			}
			names[s.Name] = true
			by[s.Origin]++
			if s.Kind != tc.kind || s.Real != (s.Origin != OriginSim) || s.Source == "" || s.Period <= 0 {
				t.Errorf("%v: bad scene %+v", tc.kind, s)
			}
			if s.Real && s.Path == "" {
				t.Errorf("%s: real scene without a path", s.Name)
			}
		}
		for _, o := range tc.origins {
			if by[o] == 0 {
				t.Errorf("%v: no %v scene", tc.kind, o)
			}
		}
		t.Logf("%v: %d scenes %v", tc.kind, len(list), by)
	}
	if list, miss := Catalogue(context.Background(), sensors.KindRange); list != nil || miss != nil {
		t.Errorf("range sensors: %v %v, want none", list, miss)
	}
}

// frameBytes are the bytes a frame would be written as: the pixels of an
// image, the KITTI records of a scan.
func frameBytes(f sensors.Frame) []byte {
	switch v := f.(type) {
	case *sensors.Image:
		return v.Pix
	case *sensors.Scan:
		return recorded.AppendKITTI(nil, v.Points)
	}
	return nil
}

// checkDrive drives frames [3, 3+n) and checks their kind, count, size,
// stamps and that the same call, and a call for a part of the range, give
// the same bytes.
func checkDrive(t *testing.T, s Scene, o DriveOptions) training.Recording {
	t.Helper()
	ctx := context.Background()
	r, err := s.Drive(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Frames) != o.Frames || len(r.Names) != o.Frames || r.Dir != s.Name || r.Period != s.Period {
		t.Fatalf("%s: %d frames, %d names, dir %q, period %v", s.Name, len(r.Frames), len(r.Names), r.Dir, r.Period)
	}
	for k, f := range r.Frames {
		h := f.Head()
		i := o.Start + k
		if f.Kind() != s.Kind || h.Seq != uint64(i+1) || !h.Stamp.Equal(sim.Epoch().Add(time.Duration(i)*s.Period)) || h.Received != h.Stamp {
			t.Fatalf("%s frame %d: kind %v, seq %d, stamp %v", s.Name, i, f.Kind(), h.Seq, h.Stamp)
		}
		switch v := f.(type) {
		case *sensors.Image:
			w, hh := max(o.Width, DefaultWidth*(1-min(o.Width, 1))), max(o.Height, DefaultHeight*(1-min(o.Height, 1)))
			if v.Width != w || v.Height != hh || v.Stride != w || v.Format != sensors.Gray8 || len(v.Pix) != w*hh {
				t.Fatalf("%s frame %d: %d×%d stride %d format %v, want %d×%d gray", s.Name, i, v.Width, v.Height, v.Stride, v.Format, w, hh)
			}
		case *sensors.Scan:
			if v.Rings != velodyne.Lasers || len(v.RingElevations) != velodyne.Lasers {
				t.Fatalf("%s frame %d: %d rings", s.Name, i, v.Rings)
			}
			if n := v.Returns(); n != len(v.Points) || n < 3000 || n > 28800 {
				t.Errorf("%s frame %d: %d returns of %d points, want all returns, 3,000–28,800", s.Name, i, n, len(v.Points))
			}
		}
	}
	again, err := s.Drive(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	part := o
	part.Start, part.Frames = o.Start+1, o.Frames-2
	mid, err := s.Drive(ctx, part)
	if err != nil {
		t.Fatal(err)
	}
	for k := range r.Frames {
		if !bytes.Equal(frameBytes(r.Frames[k]), frameBytes(again.Frames[k])) {
			t.Fatalf("%s frame %d: not the same bytes on a second call", s.Name, o.Start+k)
		}
		if k >= 1 && k < o.Frames-1 && !bytes.Equal(frameBytes(r.Frames[k]), frameBytes(mid.Frames[k-1])) {
			t.Fatalf("%s frame %d: not the same bytes in a drive from %d", s.Name, o.Start+k, part.Start)
		}
	}
	return r
}

// imageStats returns the mean and standard deviation of a gray image and
// its correlation with the previous one.
func imageStats(a, b *sensors.Image) (mean, std, corr float64) {
	var sa, sb, saa, sbb, sab float64
	n := float64(len(a.Pix))
	for i := range a.Pix {
		x, y := float64(a.Pix[i]), float64(b.Pix[i])
		sa, sb, saa, sbb, sab = sa+x, sb+y, saa+x*x, sbb+y*y, sab+x*y
	}
	mean = sb / n
	va, vb := saa/n-(sa/n)*(sa/n), sbb/n-mean*mean
	return mean, math.Sqrt(vb), (sab/n - sa/n*mean) / math.Sqrt(va*vb)
}

// checkCamera checks that consecutive frames are alike but not the same:
// a little motion and noise, no flicker.
func checkCamera(t *testing.T, r training.Recording, minCorr float64) {
	t.Helper()
	for k := 1; k < len(r.Frames); k++ {
		a, b := r.Frames[k-1].(*sensors.Image), r.Frames[k].(*sensors.Image)
		mean, std, corr := imageStats(a, b)
		prev, _, _ := imageStats(b, a)
		if bytes.Equal(a.Pix, b.Pix) || corr < minCorr || corr > 0.9999 || mean < 15 || mean > 240 || std < 8 || math.Abs(mean-prev) > 3 {
			t.Errorf("%s %s: mean %.1f (previous frame %.1f), σ %.1f, correlation with the previous frame %.4f (want %.2f–0.9999)",
				r.Dir, r.Names[k], mean, prev, std, corr, minCorr)
		}
	}
}

func TestDriveSimMatchesSimDrive(t *testing.T) {
	for _, kind := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		s := SimScene(kind, 2)
		r := checkDrive(t, s, DriveOptions{Frames: 4, Start: 5})
		want, err := training.SimDrive(context.Background(), kind, training.SizeFull, 2, 5, 4)
		if err != nil {
			t.Fatal(err)
		}
		for k := range want.Frames {
			if !bytes.Equal(frameBytes(r.Frames[k]), frameBytes(want.Frames[k])) || *r.Frames[k].Head() != *want.Frames[k].Head() || r.Names[k] != want.Names[k] {
				t.Fatalf("%v world 2 frame %d differs from training.SimDrive's", kind, 5+k)
			}
		}
		if kind == sensors.KindCamera {
			checkCamera(t, r, 0.8)
		}
	}
}

func TestDriveSimCameraSize(t *testing.T) {
	r := checkDrive(t, SimScene(sensors.KindCamera, 3), DriveOptions{Frames: 3, Width: 64, Height: 48, Seed: 9})
	checkCamera(t, r, 0.5)
}

func TestDriveVideo(t *testing.T) {
	for _, name := range []string{"video-vtest", "video-megamind"} {
		s := sceneOf(t, sensors.KindCamera, OriginVideo, name)
		r := checkDrive(t, s, DriveOptions{Frames: 5, Start: 3, Width: 160, Height: 120})
		checkCamera(t, r, 0.8)
	}
}

func TestDriveStill(t *testing.T) {
	for _, name := range []string{"still-opencv-building", "still-skimage-astronaut", "still-skimage-coffee"} {
		s := sceneOf(t, sensors.KindCamera, OriginStill, name)
		r := checkDrive(t, s, DriveOptions{Frames: 5, Start: 250})
		checkCamera(t, r, 0.9)
		other, err := s.Drive(context.Background(), DriveOptions{Frames: 1, Start: 250, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, c := imageStats(r.Frames[0].(*sensors.Image), other.Frames[0].(*sensors.Image)); c > 0.95 {
			t.Errorf("%s: seeds 1 and 2 look at the same place (correlation %.3f)", name, c)
		}
	}
}

// checkLidarMotion checks that consecutive scans are not the same.
func checkLidarMotion(t *testing.T, r training.Recording) {
	t.Helper()
	for k := 1; k < len(r.Frames); k++ {
		if bytes.Equal(frameBytes(r.Frames[k-1]), frameBytes(r.Frames[k])) {
			t.Errorf("%s %s: the same scan as the previous frame", r.Dir, r.Names[k])
		}
	}
}

func TestDriveCapture(t *testing.T) {
	s := sceneOf(t, sensors.KindLidar, OriginCapture, "")
	r := checkDrive(t, s, DriveOptions{Frames: 30})
	checkLidarMotion(t, r)
	revs, err := captureRevolutions(context.Background(), s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) < 10 {
		t.Fatalf("%d full revolutions in the capture, want about 12", len(revs))
	}
	// frame 0 is revolution 0 as recorded; frame 2(n−1) is revolution 0
	// again, turned
	n := len(revs)
	want, err := asFile(revs[0].Points)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(frameBytes(r.Frames[0]), frameBytes(want)) {
		t.Error("frame 0 is not the first revolution as recorded")
	}
	late, err := s.Drive(context.Background(), DriveOptions{Frames: 1, Start: 2 * (n - 1)})
	if err != nil {
		t.Fatal(err)
	}
	a, b := r.Frames[0].(*sensors.Scan), late.Frames[0].(*sensors.Scan)
	if a.Returns() != b.Returns() {
		t.Errorf("frame %d has %d returns, frame 0 %d: not the same revolution", 2*(n-1), b.Returns(), a.Returns())
	}
	th := float64(2*(n-1)) * CaptureTurnDeg * math.Pi / 180
	for j := range a.Points {
		p, q := a.Points[j], b.Points[j]
		x, y := math.Cos(th)*float64(p.X)-math.Sin(th)*float64(p.Y), math.Sin(th)*float64(p.X)+math.Cos(th)*float64(p.Y)
		if math.Abs(x-float64(q.X)) > 1e-3 || math.Abs(y-float64(q.Y)) > 1e-3 || p.Z != q.Z || p.Ring != q.Ring {
			t.Fatalf("point %d: %+v turned by %.1f° is not %+v", j, p, th*180/math.Pi, q)
		}
	}
}

func TestDriveScan(t *testing.T) {
	s := sceneOf(t, sensors.KindLidar, OriginScan, "")
	r := checkDrive(t, s, DriveOptions{Frames: 6, Start: 40})
	checkLidarMotion(t, r)
}

func TestDriveErrors(t *testing.T) {
	ctx := context.Background()
	cam := SimScene(sensors.KindCamera, 1)
	short := Scene{Name: "short", Kind: sensors.KindCamera, Origin: OriginVideo, Len: 10, Period: time.Second}
	for _, tc := range []struct {
		s    Scene
		o    DriveOptions
		want error
	}{
		{cam, DriveOptions{}, ErrOptions},
		{cam, DriveOptions{Frames: 2, Start: -1}, ErrOptions},
		{cam, DriveOptions{Frames: 2, Width: 4}, ErrOptions},
		{SimScene(sensors.KindRange, 1), DriveOptions{Frames: 2}, ErrOptions},
		{short, DriveOptions{Frames: 5, Start: 6}, ErrTooShort},
	} {
		if _, err := tc.s.Drive(ctx, tc.o); !errors.Is(err, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.s.Name, tc.o, err, tc.want)
		}
	}
	for _, s := range []Scene{
		{Name: "no-photo", Kind: sensors.KindCamera, Origin: OriginStill, Path: "/nonexistent.png", Period: time.Second},
		{Name: "no-scan", Kind: sensors.KindLidar, Origin: OriginScan, Path: "/nonexistent.bz2", Period: time.Second},
		{Name: "no-capture", Kind: sensors.KindLidar, Origin: OriginCapture, Path: "/nonexistent.bin", Period: time.Second},
		{Name: "no-origin", Kind: sensors.KindLidar, Period: time.Second},
	} {
		if _, err := s.Drive(ctx, DriveOptions{Frames: 1}); err == nil {
			t.Errorf("%s: no error", s.Name)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := SimScene(sensors.KindLidar, 1).Drive(cctx, DriveOptions{Frames: 3}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled drive: %v", err)
	}
}

// TestEveryScene drives a few frames of every catalogued scene and checks
// their statistics: every listed photograph decodes and looks like a
// camera frame, every LiDAR scene gives VLP-16 scans.
func TestEveryScene(t *testing.T) {
	ctx := context.Background()
	for _, kind := range []sensors.Kind{sensors.KindCamera, sensors.KindLidar} {
		list, _ := Catalogue(ctx, kind)
		for _, s := range list {
			if s.Origin == OriginSim {
				continue // TestDriveSim* cover them
			}
			r, err := s.Drive(ctx, DriveOptions{Frames: 3, Start: 20})
			if err != nil {
				t.Errorf("%s: %v", s.Name, err)
				continue
			}
			if kind == sensors.KindCamera {
				// fine textures (a circuit board, grass) decorrelate most
				// under a pixel of motion
				checkCamera(t, r, 0.6)
				continue
			}
			checkLidarMotion(t, r)
			for k, f := range r.Frames {
				if n := f.(*sensors.Scan).Returns(); n < 3000 || n > 28800 {
					t.Errorf("%s frame %d: %d returns, want 3,000–28,800", s.Name, 20+k, n)
				}
			}
		}
	}
}

// TestChunked: frames made a chunk at a time are the drive's, byte for
// byte, and a drive that fails ends them with its error.
func TestChunked(t *testing.T) {
	ctx := t.Context()
	world := SimScene(sensors.KindCamera, 9)
	o := DriveOptions{Start: 5, Frames: 2*Chunk + 7, Width: 32, Height: 24}
	want, err := world.Drive(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	frames, errf := world.Chunked(ctx, o)
	i := 0
	for f := range frames {
		got, w := f.(*sensors.Image), want.Frames[i].(*sensors.Image)
		if !bytes.Equal(got.Pix, w.Pix) || !got.Stamp.Equal(w.Stamp) || got.Seq != w.Seq {
			t.Fatalf("frame %d differs from the drive's", i)
		}
		i++
	}
	if errf() != nil || i != o.Frames {
		t.Fatalf("%d frames, error %v; want %d", i, errf(), o.Frames)
	}

	short := world
	short.Len = Chunk + 50
	o.Start = 0
	frames, errf = short.Chunked(ctx, o)
	i = 0
	for range frames {
		i++
	}
	if !errors.Is(errf(), ErrTooShort) || i != Chunk {
		t.Fatalf("a scene of %d frames: %d frames, error %v", short.Len, i, errf())
	}
	frames, errf = world.Chunked(ctx, DriveOptions{Frames: 0})
	for range frames {
		t.Fatal("a frame of an empty drive")
	}
	if !errors.Is(errf(), ErrOptions) {
		t.Fatalf("no frames asked: %v", errf())
	}
}
