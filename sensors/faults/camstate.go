package faults

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/sensortrust/trustagent/sensors"
)

// plasma returns a size×size diamond–square fractal (size a power of two),
// toroidal, normalised to [0, 1]. decay divides the random displacement at
// each halving of the step, as in ImageNet-C's plasma_fractal(wibbledecay).
func plasma(size int, decay float64, r *rand.Rand) []float32 {
	m := make([]float64, size*size)
	at := func(x, y int) *float64 { return &m[(y&(size-1))*size+(x&(size-1))] }
	wibble := 100.0
	for step := size; step >= 2; step /= 2 {
		half := step / 2
		// squares: centre = mean of the four corners + noise
		for y := 0; y < size; y += step {
			for x := 0; x < size; x += step {
				mean := (*at(x, y) + *at(x+step, y) + *at(x, y+step) + *at(x+step, y+step)) / 4
				*at(x+half, y+half) = mean + wibble*(2*r.Float64()-1)
			}
		}
		// diamonds: edge midpoints = mean of their four neighbours + noise
		for y := 0; y < size; y += half {
			x0 := half
			if (y/half)%2 == 1 {
				x0 = 0
			}
			for x := x0; x < size; x += step {
				mean := (*at(x-half, y) + *at(x+half, y) + *at(x, y-half) + *at(x, y+half)) / 4
				*at(x, y) = mean + wibble*(2*r.Float64()-1)
			}
		}
		wibble /= decay
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	out := make([]float32, len(m))
	for i, v := range m {
		if hi > lo {
			out[i] = float32((v - lo) / (hi - lo))
		}
	}
	return out
}

// camFog is ImageNet-C fog with one plasma field per fault episode, drifting
// by a pixel every four frames so that the fog moves instead of flickering.
type camFog struct {
	cfg  Config
	n    uint64
	size int
	pl   []float32
}

func (f *camFog) Flush() []sensors.Frame { return nil }

func (f *camFog) Inject(in sensors.Frame) []sensors.Frame {
	im, ok := in.(*sensors.Image)
	if !ok || !validImage(im) {
		return []sensors.Frame{in}
	}
	size := 1
	for size < max(im.Width, im.Height) {
		size *= 2
	}
	if size != f.size {
		f.size = size
		f.pl = plasma(size, camFogC1(f.cfg.Severity), frameRand(f.cfg.Seed, "fog_plasma", uint64(size)))
	}
	c0 := float32(camFogC0(f.cfg.Severity))
	shift := int(f.n / 4)
	f.n++
	p := toPlanes(im)
	for _, pl := range p.c {
		mx := float32(0)
		for _, v := range pl {
			mx = max(mx, v)
		}
		for y := 0; y < p.h; y++ {
			prow := f.pl[((y+shift)&(size-1))*size:]
			for x := 0; x < p.w; x++ {
				v := pl[y*p.w+x] + c0*prow[(x+shift)&(size-1)]
				pl[y*p.w+x] = v * mx / (mx + c0)
			}
		}
	}
	return []sensors.Frame{p.toImage(im)}
}

// occlusion darkens a fixed blob covering a fraction f of the image: a
// wobbly ellipse whose threshold is the f-quantile of its distance field,
// with a soft edge. The mask is drawn once per image size.
type occlusion struct {
	cfg  Config
	w, h int
	mask []float32 // darkening weight in [0, 1]
}

// occlusionDarkness is how much light the dirt blocks at its core.
const occlusionDarkness = 0.9

func (o *occlusion) Flush() []sensors.Frame { return nil }

func (o *occlusion) Inject(in sensors.Frame) []sensors.Frame {
	im, ok := in.(*sensors.Image)
	if !ok || !validImage(im) {
		return []sensors.Frame{in}
	}
	if o.w != im.Width || o.h != im.Height {
		o.w, o.h = im.Width, im.Height
		o.mask = occlusionMask(o.w, o.h, camOcclusionF(o.cfg.Severity), frameRand(o.cfg.Seed, "occlusion", 0))
	}
	p := toPlanes(im)
	for _, pl := range p.c {
		for i := range pl {
			pl[i] *= 1 - occlusionDarkness*o.mask[i]
		}
	}
	return []sensors.Frame{p.toImage(im)}
}

// occlusionMask returns weights in [0, 1] of which exactly a fraction frac
// of the pixels (up to ties) are above 0.5.
func occlusionMask(w, h int, frac float64, r *rand.Rand) []float32 {
	cx := (0.2 + 0.6*r.Float64()) * float64(w)
	cy := (0.2 + 0.6*r.Float64()) * float64(h)
	aspect := 0.6 + 0.8*r.Float64()
	rot := r.Float64() * math.Pi
	var harm [4]float64 // wobble of the outline: amplitudes of harmonics 2..5
	var phase [4]float64
	for i := range harm {
		harm[i] = 0.12 * r.Float64() / float64(i+1)
		phase[i] = 2 * math.Pi * r.Float64()
	}
	d := make([]float64, w*h)
	cr, sr := math.Cos(rot), math.Sin(rot)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			dx, dy := float64(x)-cx, float64(y)-cy
			u, v := dx*cr+dy*sr, (-dx*sr+dy*cr)/aspect
			ang := math.Atan2(v, u)
			wob := 1.0
			for i := range harm {
				wob += harm[i] * math.Sin(float64(i+2)*ang+phase[i])
			}
			d[y*w+x] = math.Hypot(u, v) / wob
		}
	}
	sorted := append([]float64(nil), d...)
	sort.Float64s(sorted)
	k := int(math.Round(frac*float64(len(sorted)))) - 1
	thr := 0.0
	if k >= 0 {
		thr = sorted[min(k, len(sorted)-1)]
	}
	soft := 0.04 * float64(min(w, h)) // width of the blurred edge, pixels
	mask := make([]float32, w*h)
	for i, v := range d {
		if k < 0 {
			break
		}
		m := 0.5 + (thr-v)/soft
		if v <= thr {
			m = math.Max(m, 0.5000001)
		} else {
			m = math.Min(m, 0.4999999)
		}
		mask[i] = float32(math.Max(0, math.Min(1, m)))
	}
	return mask
}

// blackFrame replaces every n-th frame by zeros (n = 3, 2, 1).
type blackFrame struct {
	every int
	n     int
}

func (b *blackFrame) Flush() []sensors.Frame { return nil }

func (b *blackFrame) Inject(in sensors.Frame) []sensors.Frame {
	b.n++
	im, ok := in.(*sensors.Image)
	if !ok || b.n%b.every != 0 {
		return []sensors.Frame{in}
	}
	out := &sensors.Image{Header: im.Header, Width: im.Width, Height: im.Height, Stride: im.Stride, Format: im.Format}
	out.Pix = make([]byte, len(im.Pix))
	return []sensors.Frame{out}
}

// repeat is stuck_scan, frozen and stale: it lets one frame through, then
// delivers n byte-identical copies of it in place of the next n frames,
// each with the replaced frame's header (fresh Seq and stamps), and starts
// over.
type repeat struct {
	n    int
	held sensors.Frame
	left int
}

func (p *repeat) Flush() []sensors.Frame { return nil }

func (p *repeat) Inject(in sensors.Frame) []sensors.Frame {
	if p.held != nil && p.left > 0 && p.held.Kind() == in.Kind() {
		p.left--
		return []sensors.Frame{withHeader(p.held, *in.Head())}
	}
	p.held = cloneFrame(in)
	p.left = p.n
	return []sensors.Frame{in}
}

// tear: rows above a random line come from the frame age frames older.
type tear struct {
	cfg  Config
	age  int
	n    uint64
	hist []*sensors.Image // the last age input frames, oldest first
}

func (t *tear) Flush() []sensors.Frame { return nil }

func (t *tear) Inject(in sensors.Frame) []sensors.Frame {
	im, ok := in.(*sensors.Image)
	if !ok || !validImage(im) {
		return []sensors.Frame{in}
	}
	r := frameRand(t.cfg.Seed, "rolling_tear", t.n)
	t.n++
	var out sensors.Frame = in
	if len(t.hist) == t.age {
		old := t.hist[0]
		if old.Width == im.Width && old.Height == im.Height && old.Format == im.Format {
			c := cloneImage(im)
			line := int((0.1 + 0.8*r.Float64()) * float64(im.Height))
			rowBytes := im.Width * im.Format.BytesPerPixel()
			for y := 0; y < line; y++ {
				copy(c.Pix[y*c.Stride:y*c.Stride+rowBytes], old.Pix[y*old.Stride:y*old.Stride+rowBytes])
			}
			out = c
		}
		t.hist = t.hist[1:]
	}
	t.hist = append(t.hist, cloneImage(im))
	return []sensors.Frame{out}
}
