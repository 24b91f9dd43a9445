package main

import (
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
	"github.com/sensortrust/trustagent/sensors/sim"
)

func main() {
	out := flag.String("out", "docs/faults", "output directory")
	seed := flag.Uint64("seed", 1, "world, sensor and fault seed")
	only := flag.String("only", "", "comma-separated fault names to draw (default: all)")
	flag.Parse()
	var names []string
	if *only != "" {
		names = strings.Split(*only, ",")
	}
	if err := run(*out, *seed, names); err != nil {
		fmt.Fprintln(os.Stderr, "gallery:", err)
		os.Exit(1)
	}
}

const (
	tileW, tileH = 192, 144 // camera tiles
	bevSize      = 200      // bird's-eye view tile, pixels
	bevHalf      = 25.0     // metres from the sensor to the tile edge
	rangeCols    = 200      // range image columns (9 azimuth steps each)
	ringPx       = 3        // range image pixels per ring
	labelH       = 14
	gap          = 4
	frames       = 12 // stream of frames each fault sees
	shown        = 10 // index of the output frame shown
)

// run draws the pictures of the named faults (all when names is empty).
func run(out string, seed uint64, names []string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	w, err := sim.NewWorld(sim.WorldOptions{Seed: seed})
	if err != nil {
		return err
	}
	cam, err := sim.NewCamera(w, sim.CameraOptions{Seed: seed, Width: tileW, Height: tileH})
	if err != nil {
		return err
	}
	lidar, err := sim.NewLidar(w, sim.LidarOptions{Seed: seed})
	if err != nil {
		return err
	}
	var imgs, scans []sensors.Frame
	for i := uint64(0); i < frames; i++ {
		imgs = append(imgs, cam.Image(300+i))
		scans = append(scans, lidar.Scan(200+i))
	}
	for _, sp := range faults.Catalogue() {
		if len(names) > 0 && !slices.Contains(names, sp.Name) {
			continue
		}
		var err error
		switch sp.Class {
		case faults.ClassCamera:
			err = cameraStrip(filepath.Join(out, "camera_"+sp.Name+".png"), sp, imgs, seed)
		case faults.ClassLidar:
			err = lidarStrip(filepath.Join(out, "lidar_"+sp.Name+".png"), sp, scans, seed)
		case faults.ClassStream:
			err = streamPlot(filepath.Join(out, "stream_"+sp.Name+".png"), sp, seed)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", sp.Name, err)
		}
		fmt.Printf("%s %s\n", sp.Class, sp.Name)
	}
	return nil
}

// outputAt runs a fault over the stream and returns output frame k (or the
// last one, or nil when everything was dropped).
func outputAt(kind sensors.Kind, sp faults.Spec, sev int, seed uint64, in []sensors.Frame, k int) (sensors.Frame, error) {
	outs, err := faults.Apply(kind, faults.Config{Fault: sp.Name, Severity: sev, Seed: seed}, in)
	if err != nil {
		return nil, err
	}
	if len(outs) == 0 {
		return nil, nil
	}
	return outs[min(k, len(outs)-1)], nil
}

func label(dst draw.Image, x, y int, s string) {
	d := font.Drawer{Dst: dst, Src: image.NewUniform(color.Gray{255}), Face: basicfont.Face7x13, Dot: fixed.P(x+3, y+11)}
	d.DrawString(s)
}

func writePNG(path string, im image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	err = enc.Encode(f, im)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func cameraStrip(path string, sp faults.Spec, in []sensors.Frame, seed uint64) error {
	dst := image.NewGray(image.Rect(0, 0, 4*tileW+3*gap, labelH+tileH))
	for col := 0; col < 4; col++ {
		x0 := col * (tileW + gap)
		var f sensors.Frame = in[shown]
		text := "clean"
		if col > 0 {
			var err error
			if f, err = outputAt(sensors.KindCamera, sp, col, seed, in, shown); err != nil {
				return err
			}
			text = fmt.Sprintf("%d: %s", col, sp.Params[col-1])
		}
		label(dst, x0, 0, text)
		if im, ok := f.(*sensors.Image); ok {
			for y := 0; y < im.Height && y < tileH; y++ {
				for x := 0; x < im.Width && x < tileW; x++ {
					dst.SetGray(x0+x, labelH+y, color.Gray{im.GrayAt(x, y)})
				}
			}
		}
	}
	return writePNG(path, dst)
}

func lidarStrip(path string, sp faults.Spec, in []sensors.Frame, seed uint64) error {
	rh := 16 * ringPx
	dst := image.NewGray(image.Rect(0, 0, 4*bevSize+3*gap, labelH+bevSize+gap+rh))
	for col := 0; col < 4; col++ {
		x0 := col * (bevSize + gap)
		var f sensors.Frame = in[shown]
		text := "clean"
		if col > 0 {
			var err error
			if f, err = outputAt(sensors.KindLidar, sp, col, seed, in, shown); err != nil {
				return err
			}
			text = fmt.Sprintf("%d: %s", col, sp.Params[col-1])
		}
		label(dst, x0, 0, text)
		s, ok := f.(*sensors.Scan)
		if !ok {
			continue
		}
		drawBEV(dst, x0, labelH, s)
		drawRangeImage(dst, x0, labelH+bevSize+gap, s)
	}
	return writePNG(path, dst)
}

// drawBEV plots returns seen from above, forward up, brightness by
// intensity (dim points stay visible); the sensor is the centre.
func drawBEV(dst *image.Gray, x0, y0 int, s *sensors.Scan) {
	for y := 0; y < bevSize; y++ {
		for x := 0; x < bevSize; x++ {
			dst.SetGray(x0+x, y0+y, color.Gray{12})
		}
	}
	for _, p := range s.Points {
		if !(p.Range > 0) {
			continue
		}
		px := int(math.Floor((float64(p.X) + bevHalf) / (2 * bevHalf) * bevSize))
		py := int(math.Floor((bevHalf - float64(p.Y)) / (2 * bevHalf) * bevSize))
		if px < 0 || py < 0 || px >= bevSize || py >= bevSize {
			continue
		}
		v := uint8(90 + 165*math.Min(1, float64(p.Intensity)*1.5))
		if dst.GrayAt(x0+px, y0+py).Y < v {
			dst.SetGray(x0+px, y0+py, color.Gray{v})
		}
	}
	c := bevSize / 2
	for d := -3; d <= 3; d++ {
		dst.SetGray(x0+c+d, y0+c, color.Gray{255})
		dst.SetGray(x0+c, y0+c+d, color.Gray{255})
	}
}

// drawRangeImage draws rings (highest elevation on top) × azimuth, near
// returns bright, no return black.
func drawRangeImage(dst *image.Gray, x0, y0 int, s *sensors.Scan) {
	order := make([]int, 16)
	for i := range order {
		order[i] = i
	}
	if len(s.RingElevations) >= 16 {
		sort.Slice(order, func(a, b int) bool { return s.RingElevations[order[a]] > s.RingElevations[order[b]] })
	}
	row := make([]int, 16)
	for r, ring := range order {
		row[ring] = r
	}
	var best [16][rangeCols]float32
	for _, p := range s.Points {
		if !(p.Range > 0) || p.Ring >= 16 {
			continue
		}
		c := int(float64(p.Azimuth) / (2 * math.Pi) * rangeCols)
		c = min(max(c, 0), rangeCols-1)
		if b := &best[row[p.Ring]][c]; *b == 0 || p.Range < *b {
			*b = p.Range
		}
	}
	for r := 0; r < 16; r++ {
		for c := 0; c < rangeCols; c++ {
			v := uint8(0)
			if rg := best[r][c]; rg > 0 {
				v = uint8(60 + 195*math.Max(0, 1-float64(rg)/50))
			}
			for k := 0; k < ringPx; k++ {
				dst.SetGray(x0+c, y0+r*ringPx+k, color.Gray{v})
			}
		}
	}
}

// streamFrames is a 40-frame stream of range readings at 10 Hz whose
// Distance carries the frame index (to find the content of an output).
func streamFrames() []sensors.Frame {
	t0 := sim.Epoch()
	out := make([]sensors.Frame, 40)
	for i := range out {
		out[i] = &sensors.Range{Header: sensors.Header{Sensor: "s", Seq: uint64(i + 1), Stamp: t0.Add(time.Duration(i) * 100 * time.Millisecond)}, Distance: float32(i)}
	}
	return out
}

// writePNGCanvas writes a rendered plot canvas.
func writePNGCanvas(path string, c interface {
	WriteTo(w io.Writer) (int64, error)
}) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = c.WriteTo(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
