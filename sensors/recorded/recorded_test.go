package recorded

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

func testScan(seq int, stamp time.Time) *sensors.Scan {
	s := &sensors.Scan{Header: sensors.Header{Sensor: "lidar0", Stamp: stamp}}
	for i := 0; i < 50+seq; i++ {
		a := float64(i) * 0.1
		r := 2 + float64(i%7)
		p := sensors.Point{
			X: float32(r * math.Sin(a)), Y: float32(r * math.Cos(a)), Z: float32(0.1 * float64(i%5)),
			Intensity: float32(i%10) / 10, Range: float32(r),
		}
		if i%9 == 0 {
			p = sensors.Point{} // no return: must not be written
		}
		s.Points = append(s.Points, p)
	}
	return s
}

func TestWriterReaderScanRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2011, 9, 26, 13, 2, 25, 964389445, time.UTC)
	var want []*sensors.Scan
	for i := 0; i < 3; i++ {
		s := testScan(i, t0.Add(time.Duration(i)*103526*time.Microsecond))
		want = append(want, s)
		if err := w.Write(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(&sensors.Image{Width: 1, Height: 1, Stride: 1, Format: sensors.Gray8, Pix: []byte{1}}); err == nil {
		t.Error("writing an image into a scan directory succeeded")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ts, err := os.ReadFile(filepath.Join(dir, TimestampsFile))
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.SplitN(string(ts), "\n", 2)[0]; first != "2011-09-26 13:02:25.964389445" {
		t.Errorf("first stamp line %q", first)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Len() != 3 || d.Kind() != sensors.KindLidar || d.Name(0) != "000000.bin" || !d.HasStamps() {
		t.Fatalf("Len %d Kind %v Name %q stamps %v", d.Len(), d.Kind(), d.Name(0), d.HasStamps())
	}
	for i := range want {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		got := f.(*sensors.Scan)
		if !got.Stamp.Equal(want[i].Stamp) {
			t.Errorf("frame %d stamp %v, want %v", i, got.Stamp, want[i].Stamp)
		}
		if got.Rings != 0 {
			t.Errorf("KITTI scan without model has Rings %d", got.Rings)
		}
		if len(got.Points) != want[i].Returns() {
			t.Fatalf("frame %d: %d points, want %d returns", i, len(got.Points), want[i].Returns())
		}
		k := 0
		for _, p := range want[i].Points {
			if p.Range == 0 {
				continue
			}
			g := got.Points[k]
			k++
			if g.X != p.X || g.Y != p.Y || g.Z != p.Z || g.Intensity != p.Intensity {
				t.Fatalf("frame %d point %d: got %+v want %+v", i, k, g, p)
			}
			wantR := math.Sqrt(float64(p.X*p.X + p.Y*p.Y + p.Z*p.Z))
			if math.Abs(float64(g.Range)-wantR) > 1e-4 {
				t.Fatalf("range %v want %v", g.Range, wantR)
			}
		}
	}
	if _, err := NewDirWriter(dir); err == nil {
		t.Error("NewDirWriter reused a directory holding a recording")
	}
}

func TestWriterReaderImageRoundTrip(t *testing.T) {
	dir := t.TempDir()
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	gray := &sensors.Image{Width: 4, Height: 3, Stride: 5, Format: sensors.Gray8, Pix: make([]byte, 15)}
	for i := range gray.Pix {
		gray.Pix[i] = byte(i * 17)
	}
	rgb := &sensors.Image{Width: 2, Height: 2, Stride: 6, Format: sensors.RGB24, Pix: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}
	for _, im := range []*sensors.Image{gray, rgb} {
		if err := w.Write(im); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []*sensors.Image{gray, rgb} {
		f, err := d.Read(i)
		if err != nil {
			t.Fatal(err)
		}
		got := f.(*sensors.Image)
		if got.Format != want.Format || got.Width != want.Width || got.Height != want.Height {
			t.Fatalf("image %d: %v %dx%d", i, got.Format, got.Width, got.Height)
		}
		for y := 0; y < want.Height; y++ {
			for x := 0; x < want.Width*want.Format.BytesPerPixel(); x++ {
				if g, e := got.Pix[y*got.Stride+x], want.Pix[y*want.Stride+x]; g != e {
					t.Fatalf("image %d byte (%d,%d) = %d want %d", i, x, y, g, e)
				}
			}
		}
	}
}

func TestOpenDirErrors(t *testing.T) {
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(empty); !errors.Is(err, sensors.ErrNoData) {
		t.Errorf("empty dir: %v, want ErrNoData", err)
	}
	mixed := t.TempDir()
	for _, n := range []string{"000000.bin", "000001.png"} {
		if err := os.WriteFile(filepath.Join(mixed, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := OpenDir(mixed); err == nil || !strings.Contains(err.Error(), "mixes") {
		t.Errorf("mixed dir: %v", err)
	}
	trunc := t.TempDir()
	if err := os.WriteFile(filepath.Join(trunc, "000000.bin"), make([]byte, 17), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(trunc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read(0); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "000000.bin") {
		t.Errorf("truncated file: %v", err)
	}
	short := t.TempDir()
	for _, n := range []string{"a.bin", "b.bin"} {
		if err := os.WriteFile(filepath.Join(short, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(short, TimestampsFile), []byte("1.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(short); err == nil {
		t.Error("1 stamp for 2 frames accepted")
	}
	if _, err := OpenDir(short, DirOptions{Model: "HDL-64"}); err == nil {
		t.Error("unknown model accepted")
	}
}

func TestParseTimestamps(t *testing.T) {
	in := "2011-09-26 13:02:25.964389445\n\n1317043345.5\n1317043345\n"
	got, err := ParseTimestamps(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []time.Time{
		time.Date(2011, 9, 26, 13, 2, 25, 964389445, time.UTC),
		time.Unix(1317043345, 500000000),
		time.Unix(1317043345, 0),
	}
	if len(got) != len(want) {
		t.Fatalf("got %d stamps", len(got))
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("stamp %d = %v want %v", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"abc\n", "1.\n", "2011-13-40 99:99:99.1\n", "1.1234567891\n", "-3\n"} {
		if _, err := ParseTimestamps(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestVLP16RingAssignment(t *testing.T) {
	dir := t.TempDir()
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := &sensors.Scan{}
	for id, elev := range []float64{-15, 1, -13, 3, -11, 5, -9, 7, -7, 9, -5, 11, -3, 13, -1, 15} {
		e := (elev + 0.3) * math.Pi / 180 // a little off the nominal angle
		r := 10.0
		s.Points = append(s.Points, sensors.Point{
			X: float32(r * math.Cos(e) * math.Sin(1)), Y: float32(r * math.Cos(e) * math.Cos(1)),
			Z: float32(r * math.Sin(e)), Range: float32(r), Ring: uint16(id), Intensity: 0.5,
		})
	}
	if err := w.Write(s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir, DirOptions{Model: ModelVLP16})
	if err != nil {
		t.Fatal(err)
	}
	f, err := d.Read(0)
	if err != nil {
		t.Fatal(err)
	}
	got := f.(*sensors.Scan)
	if got.Rings != 16 || len(got.RingElevations) != 16 {
		t.Fatalf("Rings %d elevations %d", got.Rings, len(got.RingElevations))
	}
	for i, p := range got.Points {
		if p.Ring != s.Points[i].Ring {
			t.Errorf("point %d ring %d want %d", i, p.Ring, s.Points[i].Ring)
		}
	}
}

func TestSourceFastLoopAndRealTime(t *testing.T) {
	dir := t.TempDir()
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if err := w.Write(testScan(i, t0.Add(time.Duration(i)*20*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Corrupt the middle frame: it must be counted and skipped.
	if err := os.WriteFile(filepath.Join(dir, "000001.bin"), []byte{1, 2, 3}, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}

	src, err := NewSource(d, SourceOptions{Pacing: PaceFast})
	if err != nil {
		t.Fatal(err)
	}
	var got []sensors.Frame
	err = src.Run(context.Background(), func(f sensors.Frame) { got = append(got, f) })
	if !errors.Is(err, sensors.ErrNoData) {
		t.Errorf("Run once: %v, want ErrNoData", err)
	}
	if len(got) != 2 || got[1].Head().Seq != 1 || src.Counters().Malformed != 1 || src.Counters().Frames != 2 {
		t.Errorf("once: %d frames, counters %+v", len(got), src.Counters())
	}

	loop, _ := NewSource(d, SourceOptions{Pacing: PaceFast, Repeat: Loop})
	ctx, cancel := context.WithCancel(context.Background())
	var stamps []time.Time
	err = loop.Run(ctx, func(f sensors.Frame) {
		stamps = append(stamps, f.Head().Stamp)
		if len(stamps) == 7 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("loop Run: %v", err)
	}
	for i := 1; i < len(stamps); i++ {
		if !stamps[i].After(stamps[i-1]) {
			t.Errorf("loop stamps not increasing at %d: %v then %v", i, stamps[i-1], stamps[i])
		}
	}

	rt, _ := NewSource(d, SourceOptions{})
	begin := time.Now()
	var recv []time.Time
	_ = rt.Run(context.Background(), func(f sensors.Frame) { recv = append(recv, f.Head().Received) })
	if len(recv) != 2 {
		t.Fatalf("real time: %d frames", len(recv))
	}
	// Frames 0 and 2 are 40 ms apart in the stamps: pacing must wait.
	if gap := recv[1].Sub(recv[0]); gap < 35*time.Millisecond {
		t.Errorf("real-time gap %v, want ≈40ms", gap)
	}
	if time.Since(begin) > 5*time.Second {
		t.Errorf("real-time replay took %v", time.Since(begin))
	}
}

func TestParsePacing(t *testing.T) {
	for in, want := range map[string]SourceOptions{
		"":          {},
		"fast":      {Pacing: PaceFast},
		"loop":      {Repeat: Loop, Clock: ClockWall},
		"fast-loop": {Pacing: PaceFast, Repeat: Loop, Clock: ClockWall},
	} {
		got, err := ParsePacing(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v %v", in, got, err)
		}
	}
	if _, err := ParsePacing("slow"); err == nil {
		t.Error("slow accepted")
	}
}

// hugePNG is a valid PNG header for a w×h image of the given bit depth and
// colour type (6: RGBA) followed by a few bytes of image data: what a
// hostile or corrupt file in a recording looks like to the decoder.
func hugePNG(w, h uint32, depth, colour byte) []byte {
	chunk := func(b *bytes.Buffer, typ string, data []byte) {
		binary.Write(b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		b.WriteString(typ)
		b.Write(data)
		binary.Write(b, binary.BigEndian, crc.Sum32())
	}
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, depth, colour, 0, 0, 0)
	chunk(&b, "IHDR", ihdr)
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(make([]byte, 1024))
	zw.Close()
	chunk(&b, "IDAT", z.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes()
}

// TestDecodeImageRefusesHugeImagesBeforeAllocating: a 0.5 KB PNG that
// claims 8000×8000 16-bit RGBA pixels is refused from its header, without
// the half a gigabyte the decoder would allocate for it.
func TestDecodeImageRefusesHugeImagesBeforeAllocating(t *testing.T) {
	for _, c := range []struct {
		name          string
		w, h          uint32
		depth, colour byte
	}{
		{"8000x8000 RGBA16", 8000, 8000, 16, 6},
		{"4000x3000 RGBA16", 4000, 3000, 16, 6},
		{"5000x5000 gray8", 5000, 5000, 8, 0},
	} {
		b := hugePNG(c.w, c.h, c.depth, c.colour)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := DecodeImage(b)
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: %v, want ErrFormat", c.name, err)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: decoding allocated %d bytes before refusing", c.name, got)
		}
	}
	// Within the bounds the same header decodes as far as its data goes.
	if _, err := DecodeImage(hugePNG(640, 480, 16, 6)); err == nil || strings.Contains(err.Error(), "MiB") {
		t.Errorf("640×480 RGBA16 refused for its size: %v", err)
	}
}

// TestPendingSource: a source built before its folder is usable reports
// why at each Run (never as the end of the data, so it is retried), refuses
// frames of the wrong kind, and plays the folder once it is right.
func TestPendingSource(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "lidar0")
	_, why := OpenDir(dir)
	src, err := NewPendingSource(dir, DirOptions{}, sensors.KindLidar, SourceOptions{Pacing: PaceFast}, why)
	if err != nil {
		t.Fatal(err)
	}
	if src.Unavailable() == nil || src.Info().Kind != sensors.KindLidar || src.Info().Name != "lidar0" || src.Info().Period <= 0 {
		t.Fatalf("pending source: info %+v, unavailable %v", src.Info(), src.Unavailable())
	}
	emit := func(sensors.Frame) {}
	if err := src.Run(ctx, emit); err == nil || errors.Is(err, sensors.ErrNoData) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing folder: Run = %v", err)
	}
	os.Mkdir(dir, 0o755)
	if err := src.Run(ctx, emit); err == nil || errors.Is(err, sensors.ErrNoData) {
		t.Errorf("empty folder: Run = %v, want an error that is not the end of the data", err)
	}
	os.WriteFile(filepath.Join(dir, "000000.png"), []byte("x"), 0o644)
	if err := src.Run(ctx, emit); err == nil || !strings.Contains(err.Error(), "holds camera frames") {
		t.Errorf("camera frames for a LiDAR: Run = %v", err)
	}
	os.Remove(filepath.Join(dir, "000000.png"))
	w, err := NewDirWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := w.Write(testScan(i, time.Unix(1000, 0).Add(time.Duration(i)*100*time.Millisecond))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := src.Run(ctx, func(sensors.Frame) { n++ }); !errors.Is(err, sensors.ErrNoData) || n != 3 {
		t.Errorf("filled folder: Run = %v after %d frames, want the end of the data after 3", err, n)
	}
	if _, err := NewPendingSource(dir, DirOptions{}, sensors.KindLidar, SourceOptions{}, nil); err == nil {
		t.Error("a pending source without a reason accepted")
	}
}
