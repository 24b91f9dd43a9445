package scenes

import (
	"context"
	"fmt"
	"image"
	_ "image/jpeg" // stills in JPEG
	_ "image/png"  // stills in PNG
	"math"
	"math/rand/v2"
	"os"

	"github.com/sensortrust/trustagent/sensors"
)

// stillCamera is how a virtual camera looks at a photograph. Every motion
// is a sum of slow sines whose phases and exact frequencies come from the
// drive's seed, so a drive has no end and never jumps.
type stillCamera struct {
	// Fill is the share of the photograph's shorter side (after fitting
	// the frame's aspect) the window covers at zoom 1.
	Fill float64
	// Zoom is the relative amplitude of the slow zoom in and out.
	Zoom float64
	// RollDeg is the amplitude of the slow roll, degrees.
	RollDeg float64
	// PanSpeed is the fastest pan, output pixels per frame.
	PanSpeed float64
	// Exposure is the mean linear gain on the photograph's radiance and
	// ExposureSwing its relative slow change.
	Exposure, ExposureSwing float64
	// FullWell and ReadNoise are the sensor noise model, as
	// sim.CameraOptions has it: shot noise of variance v/FullWell plus read
	// noise of σ ReadNoise on the linear [0, 1] scale.
	FullWell, ReadNoise float64
}

// defaultStillCamera is the virtual camera of still scenes: the sim
// camera's noise, a window of 60 % of the photograph, ±12 % zoom, ±2° roll,
// pans of at most 1.2 pixels per frame and ±15 % exposure.
func defaultStillCamera() stillCamera {
	return stillCamera{Fill: 0.6, Zoom: 0.12, RollDeg: 2, PanSpeed: 1.2, Exposure: 0.95, ExposureSwing: 0.15, FullWell: 2000, ReadNoise: 0.004}
}

// still is a photograph in linear light: gray values in [0, 1].
type still struct {
	w, h int
	lin  []float32
}

// loadStill decodes a JPEG or PNG photograph to linear gray: BT.601 luma
// of the gamma-encoded colour, then a 2.2 power.
func loadStill(path string) (*still, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenes: %w", err)
	}
	defer f.Close()
	im, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("scenes: decode %s: %w", path, err)
	}
	b := im.Bounds()
	if b.Dx() < 16 || b.Dy() < 16 {
		return nil, fmt.Errorf("scenes: %s: photograph %d×%d too small", path, b.Dx(), b.Dy())
	}
	// the 2.2 power, interpolated in a table of linearSteps+1 entries
	const linearSteps = 1024
	var pow [linearSteps + 2]float64
	for i := range pow {
		pow[i] = math.Pow(min(float64(i)/linearSteps, 1), 2.2)
	}
	s := &still{w: b.Dx(), h: b.Dy(), lin: make([]float32, b.Dx()*b.Dy())}
	for y := 0; y < s.h; y++ {
		for x := 0; x < s.w; x++ {
			r, g, bl, _ := im.At(b.Min.X+x, b.Min.Y+y).RGBA() // 16 bits each
			luma := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 65535 * linearSteps
			i := int(luma)
			s.lin[y*s.w+x] = float32(pow[i] + (pow[i+1]-pow[i])*(luma-float64(i)))
		}
	}
	return s, nil
}

// pose is where the virtual camera looks at one frame: the window centre
// in photograph pixels, photograph pixels per frame pixel, roll in radians,
// and the exposure.
type pose struct {
	cx, cy, scale, roll, gain float64
}

// stillPath is the smooth path of a virtual camera over one photograph.
type stillPath struct {
	cam                    stillCamera
	base                   float64 // scale at zoom 1
	ax, ay                 float64 // pan amplitudes, photograph pixels
	wx, wy, wz, wr, we     float64 // angular frequencies, radians per frame
	px, py, pz, pr, pe, p2 float64 // phases
	cx, cy                 float64
}

func newStillPath(cam stillCamera, sw, sh, w, h int, seed uint64) stillPath {
	r := rand.New(rand.NewPCG(seed, 0x5717))
	phase := func() float64 { return 2 * math.Pi * r.Float64() }
	period := func(lo, hi float64) float64 { return 2 * math.Pi / (lo + (hi-lo)*r.Float64()) }
	p := stillPath{cam: cam, cx: float64(sw) / 2, cy: float64(sh) / 2}
	p.base = cam.Fill * math.Min(float64(sw)/float64(w), float64(sh)/float64(h))
	smax := p.base * (1 + cam.Zoom)
	sr := math.Sin(cam.RollDeg * math.Pi / 180)
	// the farthest the rotated window reaches from its centre, plus a
	// pixel for the bilinear neighbours
	ex := (float64(w)/2+sr*float64(h)/2)*smax + 1
	ey := (float64(h)/2+sr*float64(w)/2)*smax + 1
	p.ax, p.ay = math.Max(0, p.cx-ex), math.Max(0, p.cy-ey)
	// pan frequencies: the fastest pan moves PanSpeed frame pixels per
	// frame, and a sweep takes at least 8 s at 15 fps
	smin := p.base * (1 - cam.Zoom)
	fast := 2 * math.Pi / 120
	p.wx = math.Min(fast, cam.PanSpeed*smin/math.Max(p.ax, 1)) * (0.8 + 0.2*r.Float64())
	p.wy = math.Min(fast, cam.PanSpeed*smin/math.Max(p.ay, 1)) * (0.8 + 0.2*r.Float64())
	p.wz, p.wr, p.we = period(300, 500), period(350, 600), period(250, 450)
	p.px, p.py, p.pz, p.pr, p.pe, p.p2 = phase(), phase(), phase(), phase(), phase(), phase()
	return p
}

func (p *stillPath) at(i int) pose {
	t := float64(i)
	c := p.cam
	return pose{
		cx:    p.cx + p.ax*math.Sin(p.wx*t+p.px),
		cy:    p.cy + p.ay*math.Sin(p.wy*t+p.py),
		scale: p.base * (1 + c.Zoom*math.Sin(p.wz*t+p.pz)),
		roll:  c.RollDeg * math.Pi / 180 * math.Sin(p.wr*t+p.pr),
		gain:  c.Exposure * (1 + c.ExposureSwing*(0.75*math.Sin(p.we*t+p.pe)+0.25*math.Sin(2.7*p.we*t+p.p2))),
	}
}

// gammaSteps quantises linear values for the output gamma table, as the
// sim camera does.
const gammaSteps = 4096

func gammaTable() []byte {
	g := make([]byte, gammaSteps+1)
	for i := range g {
		g[i] = byte(math.Round(255 * math.Pow(float64(i)/gammaSteps, 1/2.2)))
	}
	return g
}

// render makes one frame: bilinear samples of the photograph under the
// pose, times the gain, plus shot and read noise, gamma-encoded to 8 bits.
func (s *still) render(p pose, cam stillCamera, w, h int, gamma []byte, r *rand.Rand) *sensors.Image {
	im := &sensors.Image{Width: w, Height: h, Stride: w, Format: sensors.Gray8, Pix: make([]byte, w*h)}
	cr, sr := math.Cos(p.roll)*p.scale, math.Sin(p.roll)*p.scale
	read2 := cam.ReadNoise * cam.ReadNoise
	for v := 0; v < h; v++ {
		dv := float64(v) + 0.5 - float64(h)/2
		// photograph coordinates of the row's first pixel, minus the half
		// pixel of the sample centres
		x := p.cx + cr*(0.5-float64(w)/2) - sr*dv - 0.5
		y := p.cy + sr*(0.5-float64(w)/2) + cr*dv - 0.5
		row := im.Pix[v*w : (v+1)*w]
		for u := range row {
			val := p.gain * s.bilinear(x, y)
			val += math.Sqrt(max(val, 0)/cam.FullWell+read2) * r.NormFloat64()
			q := int(val*gammaSteps + 0.5)
			row[u] = gamma[min(max(q, 0), gammaSteps)]
			x += cr
			y += sr
		}
	}
	return im
}

// bilinear samples the photograph at (x, y), pixel centres at integers,
// clamped to the border.
func (s *still) bilinear(x, y float64) float64 {
	x = min(max(x, 0), float64(s.w-1))
	y = min(max(y, 0), float64(s.h-1))
	ix, iy := min(int(x), s.w-2), min(int(y), s.h-2)
	fx, fy := x-float64(ix), y-float64(iy)
	i := iy*s.w + ix
	a, b := float64(s.lin[i]), float64(s.lin[i+1])
	c, d := float64(s.lin[i+s.w]), float64(s.lin[i+s.w+1])
	top := a + (b-a)*fx
	bot := c + (d-c)*fx
	return top + (bot-top)*fy
}

// stillFrames makes the frames of a still scene.
func stillFrames(ctx context.Context, s Scene, o DriveOptions) ([]sensors.Frame, error) {
	v, err := s.load(ctx)
	if err != nil {
		return nil, err
	}
	ph := v.(*still)
	seed := o.Seed
	if seed == 0 {
		seed = 1
	}
	cam := defaultStillCamera()
	path := newStillPath(cam, ph.w, ph.h, o.Width, o.Height, seed)
	gamma := gammaTable()
	return generate(ctx, o.Frames, func(k int) (sensors.Frame, error) {
		i := o.Start + k
		r := rand.New(rand.NewPCG(seed^0x57111, uint64(i)))
		return ph.render(path.at(i), cam, o.Width, o.Height, gamma, r), nil
	})
}
