package faults

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/sensortrust/trustagent/sensors"
)

// Camera severity tables (ImageNet-C parameters picked by the catalogue).
func camNoiseC(sev int) float64      { return bySev(sev, 0.12, 0.18, 0.38) }
func camShotC(sev int) float64       { return bySev(sev, 25.0, 12, 3) }
func camImpulseC(sev int) float64    { return bySev(sev, 0.06, 0.09, 0.27) }
func camBlurSigma(sev int) float64   { return bySev(sev, 2.0, 3, 6) }
func camDefocusR(sev int) float64    { return bySev(sev, 4.0, 6, 10) }
func camMotionR(sev int) int         { return bySev(sev, 15, 15, 20) }
func camMotionSigma(sev int) float64 { return bySev(sev, 5.0, 8, 15) }
func camFogC0(sev int) float64       { return bySev(sev, 2.0, 2.5, 3) }
func camFogC1(sev int) float64       { return bySev(sev, 2.0, 1.7, 1.4) }
func camBrightC(sev int) float64     { return bySev(sev, 0.2, 0.3, 0.5) }
func camContrastC(sev int) float64   { return bySev(sev, 0.3, 0.2, 0.05) }
func camGain(sev int) float64        { return bySev(sev, 2.0, 4, 8) }
func camOcclusionF(sev int) float64  { return bySev(sev, 0.05, 0.15, 0.35) }
func camBlackEvery(sev int) int      { return bySev(sev, 3, 2, 1) }
func camTearAge(sev int) int         { return bySev(sev, 1, 3, 10) }

// planes is an image as one float plane per channel, values in [0, 1].
type planes struct {
	w, h int
	c    [][]float32
}

func toPlanes(im *sensors.Image) planes {
	bpp := im.Format.BytesPerPixel()
	p := planes{w: im.Width, h: im.Height, c: make([][]float32, bpp)}
	for ch := range p.c {
		p.c[ch] = make([]float32, im.Width*im.Height)
	}
	for y := 0; y < im.Height; y++ {
		row := im.Pix[y*im.Stride:]
		for x := 0; x < im.Width; x++ {
			for ch := 0; ch < bpp; ch++ {
				p.c[ch][y*im.Width+x] = float32(row[x*bpp+ch]) / 255
			}
		}
	}
	return p
}

// toImage converts back to 8 bits (clipped, rounded) with a tight stride.
func (p planes) toImage(like *sensors.Image) *sensors.Image {
	bpp := len(p.c)
	out := &sensors.Image{Header: like.Header, Width: p.w, Height: p.h, Stride: p.w * bpp, Format: like.Format}
	out.Pix = make([]byte, p.w*p.h*bpp)
	for i := 0; i < p.w*p.h; i++ {
		for ch := 0; ch < bpp; ch++ {
			out.Pix[i*bpp+ch] = to8(p.c[ch][i])
		}
	}
	return out
}

func to8(v float32) byte {
	if !(v > 0) {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return byte(v*255 + 0.5)
}

// validImage reports whether im's buffer holds what its geometry says.
func validImage(im *sensors.Image) bool {
	bpp := im.Format.BytesPerPixel()
	return im.Width > 0 && im.Height > 0 && im.Stride >= im.Width*bpp &&
		len(im.Pix) >= (im.Height-1)*im.Stride+im.Width*bpp
}

func cameraEntries() []entry {
	mk := func(name string, fn func(p planes, sev int, r *rand.Rand)) func(Config) Injector {
		return func(cfg Config) Injector {
			return &perFrame{name: name, seed: cfg.Seed, fn: func(in sensors.Frame, r *rand.Rand) sensors.Frame {
				im, ok := in.(*sensors.Image)
				if !ok || !validImage(im) {
					return in
				}
				p := toPlanes(im)
				fn(p, cfg.Severity, r)
				return p.toImage(im)
			}}
		}
	}
	const inc = "ImageNet-C (Hendrycks and Dietterich, ICLR 2019)"
	return []entry{
		{Spec{"gaussian_noise", ClassCamera, "x + N(0,c), clipped", [3]string{"c=0.12", "c=0.18", "c=0.38"}, inc}, mk("cam_gaussian_noise", camGaussianNoise)},
		{Spec{"shot_noise", ClassCamera, "Poisson(x·c)/c", [3]string{"c=25", "c=12", "c=3"}, inc}, mk("shot_noise", camShotNoise)},
		{Spec{"impulse_noise", ClassCamera, "salt and pepper on a fraction c of the pixels, half each", [3]string{"c=0.06", "c=0.09", "c=0.27"}, inc}, mk("impulse_noise", camImpulseNoise)},
		{Spec{"gaussian_blur", ClassCamera, "Gaussian kernel of standard deviation σ", [3]string{"σ=2 px", "σ=3 px", "σ=6 px"}, inc}, mk("gaussian_blur", camGaussianBlur)},
		{Spec{"defocus_blur", ClassCamera, "anti-aliased disk kernel of radius r", [3]string{"r=4 px", "r=6 px", "r=10 px"}, inc}, mk("defocus_blur", camDefocusBlur)},
		{Spec{"motion_blur", ClassCamera, "one-sided 1-D Gaussian kernel (half-width r, σ) at a random angle in ±45°", [3]string{"(15, 5)", "(15, 8)", "(20, 15)"}, inc}, mk("cam_motion_blur", camMotionBlur)},
		{Spec{"fog", ClassCamera, "x + c0·plasma(decay c1), then x·max/(max+c0)", [3]string{"(2, 2)", "(2.5, 1.7)", "(3, 1.4)"}, inc}, func(cfg Config) Injector { return &camFog{cfg: cfg} }},
		{Spec{"brightness", ClassCamera, "HSV value + c, clipped", [3]string{"c=0.2", "c=0.3", "c=0.5"}, inc}, mk("brightness", camBrightness)},
		{Spec{"contrast", ClassCamera, "(x − mean)·c + mean, per channel", [3]string{"c=0.3", "c=0.2", "c=0.05"}, inc}, mk("contrast", camContrast)},
		{Spec{"overexposure", ClassCamera, "gain g, then clip", [3]string{"g=2", "g=4", "g=8"}, "exposure control failure"}, mk("overexposure", camOverexposure)},
		{Spec{"lens_occlusion", ClassCamera, "a fixed dark blurred blob (dirt) over a fraction of the image", [3]string{"5 %", "15 %", "35 %"}, "dirt or a leaf on the lens"}, func(cfg Config) Injector { return &occlusion{cfg: cfg} }},
		{Spec{"black_frame", ClassCamera, "frames replaced by zeros", [3]string{"every 3rd", "every 2nd", "every frame"}, "sensor or ISP failure"}, func(cfg Config) Injector { return &blackFrame{every: camBlackEvery(cfg.Severity)} }},
		{Spec{"frozen", ClassCamera, "the same image repeated byte-identical with fresh headers", [3]string{"5 frames", "20 frames", "100 frames"}, "driver or ISP hang"}, func(cfg Config) Injector { return &repeat{n: repeatFrames(cfg.Severity)} }},
		{Spec{"rolling_tear", ClassCamera, "rows above a random line come from an older frame", [3]string{"1 frame old", "3 frames old", "10 frames old"}, "buffer handling bug"}, func(cfg Config) Injector {
			return &tear{cfg: cfg, age: camTearAge(cfg.Severity)}
		}},
	}
}

func camGaussianNoise(p planes, sev int, r *rand.Rand) {
	c := camNoiseC(sev)
	for _, pl := range p.c {
		for i := range pl {
			pl[i] += float32(c * r.NormFloat64())
		}
	}
}

// poissonCDF returns the cumulative distribution of Poisson(lambda) up to
// where it reaches 1 − 1e-12 (at most 400 terms).
func poissonCDF(lambda float64) []float64 {
	p := math.Exp(-lambda)
	cdf := []float64{p}
	for k := 1; cdf[len(cdf)-1] < 1-1e-12 && k < 400; k++ {
		p *= lambda / float64(k)
		cdf = append(cdf, cdf[len(cdf)-1]+p)
	}
	return cdf
}

// camShotNoise: Poisson(x·c)/c per pixel, sampled by inversion from one
// table per 8-bit input level.
func camShotNoise(p planes, sev int, r *rand.Rand) {
	c := camShotC(sev)
	var tables [256][]float64
	for _, pl := range p.c {
		for i, v := range pl {
			level := int(v*255 + 0.5)
			if tables[level] == nil {
				tables[level] = poissonCDF(float64(level) / 255 * c)
			}
			cdf := tables[level]
			u := r.Float64()
			k := sort.SearchFloat64s(cdf, u)
			pl[i] = float32(float64(k) / c)
		}
	}
}

func camImpulseNoise(p planes, sev int, r *rand.Rand) {
	c := camImpulseC(sev)
	n := p.w * p.h
	m := int(math.Round(c * float64(n)))
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	for i := 0; i < m; i++ {
		j := i + r.IntN(n-i)
		idx[i], idx[j] = idx[j], idx[i]
		v := float32(0)
		if i < m/2 {
			v = 1
		}
		for _, pl := range p.c {
			pl[idx[i]] = v
		}
	}
}

// gaussKernel returns normalised taps w[0..radius] of a symmetric Gaussian.
func gaussKernel(sigma float64) []float32 {
	radius := int(math.Ceil(3 * sigma))
	k := make([]float32, radius+1)
	sum := 0.0
	for i := range k {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i] = float32(v)
		sum += v
		if i > 0 {
			sum += v
		}
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	return k
}

// blurSeparable convolves pl (w×h) with the symmetric kernel k along rows and
// columns, clamping at the borders.
func blurSeparable(pl []float32, w, h int, k []float32) {
	tmp := make([]float32, len(pl))
	rad := len(k) - 1
	for y := 0; y < h; y++ {
		row := pl[y*w : (y+1)*w]
		for x := 0; x < w; x++ {
			acc := k[0] * row[x]
			for i := 1; i <= rad; i++ {
				acc += k[i] * (row[clampInt(x-i, 0, w-1)] + row[clampInt(x+i, 0, w-1)])
			}
			tmp[y*w+x] = acc
		}
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			acc := k[0] * tmp[y*w+x]
			for i := 1; i <= rad; i++ {
				acc += k[i] * (tmp[clampInt(y-i, 0, h-1)*w+x] + tmp[clampInt(y+i, 0, h-1)*w+x])
			}
			pl[y*w+x] = acc
		}
	}
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func camGaussianBlur(p planes, sev int, _ *rand.Rand) {
	k := gaussKernel(camBlurSigma(sev))
	for _, pl := range p.c {
		blurSeparable(pl, p.w, p.h, k)
	}
}

// diskKernel is an anti-aliased disk of radius r: each tap's weight is the
// fraction of its pixel square inside the disk (8×8 supersampling).
func diskKernel(r float64) (taps []float32, rad int) {
	rad = int(math.Ceil(r))
	size := 2*rad + 1
	taps = make([]float32, size*size)
	const ss = 8
	sum := float32(0)
	for ky := -rad; ky <= rad; ky++ {
		for kx := -rad; kx <= rad; kx++ {
			in := 0
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					dx := float64(kx) + (float64(sx)+0.5)/ss - 0.5
					dy := float64(ky) + (float64(sy)+0.5)/ss - 0.5
					if dx*dx+dy*dy <= r*r {
						in++
					}
				}
			}
			v := float32(in) / (ss * ss)
			taps[(ky+rad)*size+kx+rad] = v
			sum += v
		}
	}
	for i := range taps {
		taps[i] /= sum
	}
	return taps, rad
}

// diskRow is one row of a disk kernel: a run of equal full weight from −a
// to a (a < 0: none) plus the partially covered edge taps.
type diskRow struct {
	a     int
	full  float32
	edges []diskTap
}

type diskTap struct {
	dx int
	w  float32
}

// diskRows splits the disk kernel into rows for the running-sum filter.
func diskRows(taps []float32, rad int) []diskRow {
	size := 2*rad + 1
	peak := taps[rad*size+rad]
	rows := make([]diskRow, size)
	for ky := 0; ky < size; ky++ {
		row := taps[ky*size : (ky+1)*size]
		a := -1
		for a+1 <= rad && row[rad+a+1] == peak && row[rad-a-1] == peak {
			a++
		}
		dr := diskRow{a: a, full: peak}
		for kx := -rad; kx <= rad; kx++ {
			if (kx < -a || kx > a) && row[kx+rad] != 0 {
				dr.edges = append(dr.edges, diskTap{kx, row[kx+rad]})
			}
		}
		rows[ky] = dr
	}
	return rows
}

// camDefocusBlur convolves with the anti-aliased disk. Each kernel row is a
// run of full-weight taps, summed in O(1) from a prefix sum of the
// border-clamped image row, plus a few partial edge taps.
func camDefocusBlur(p planes, sev int, _ *rand.Rand) {
	taps, rad := diskKernel(camDefocusR(sev))
	rows := diskRows(taps, rad)
	pw := p.w + 2*rad
	for _, pl := range p.c {
		// padded rows and their prefix sums (float64 against drift)
		pad := make([]float32, p.h*pw)
		pre := make([]float64, p.h*(pw+1))
		for y := 0; y < p.h; y++ {
			for x := 0; x < pw; x++ {
				v := pl[y*p.w+clampInt(x-rad, 0, p.w-1)]
				pad[y*pw+x] = v
				pre[y*(pw+1)+x+1] = pre[y*(pw+1)+x] + float64(v)
			}
		}
		for y := 0; y < p.h; y++ {
			for x := 0; x < p.w; x++ {
				acc := 0.0
				px := x + rad // column in the padded row
				for ky := -rad; ky <= rad; ky++ {
					yy := clampInt(y+ky, 0, p.h-1)
					dr := &rows[ky+rad]
					if dr.a >= 0 {
						base := yy * (pw + 1)
						acc += float64(dr.full) * (pre[base+px+dr.a+1] - pre[base+px-dr.a])
					}
					prow := pad[yy*pw:]
					for _, e := range dr.edges {
						acc += float64(e.w * prow[px+e.dx])
					}
				}
				pl[y*p.w+x] = float32(acc)
			}
		}
	}
}

// bilinear samples pl at (x, y), clamping to the border.
func bilinear(pl []float32, w, h int, x, y float64) float32 {
	x = math.Max(0, math.Min(float64(w-1), x))
	y = math.Max(0, math.Min(float64(h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a := pl[y0*w+x0]*(1-fx) + pl[y0*w+x1]*fx
	b := pl[y1*w+x0]*(1-fx) + pl[y1*w+x1]*fx
	return a*(1-fy) + b*fy
}

// camMotionBlur smears each pixel along a line at angle θ ~ U(−45°, 45°):
// out(x) = Σ_{i=0..r} w_i·in(x − i·(cos θ, sin θ)), w_i ∝ exp(−i²/2σ²),
// with bilinear sampling and the border clamped. The offsets are the same
// for every pixel, so each tap's four bilinear weights are computed once.
func camMotionBlur(p planes, sev int, r *rand.Rand) {
	rad, sigma := camMotionR(sev), camMotionSigma(sev)
	theta := (r.Float64()*90 - 45) * math.Pi / 180
	type tap struct {
		ox, oy             int     // integer offset of the top-left sample
		w00, w10, w01, w11 float32 // bilinear weights times the tap weight
	}
	taps := make([]tap, rad+1)
	sum := 0.0
	for i := range taps {
		sum += math.Exp(-float64(i*i) / (2 * sigma * sigma))
	}
	reach := 0
	dx, dy := math.Cos(theta), math.Sin(theta)
	for i := range taps {
		wi := float32(math.Exp(-float64(i*i)/(2*sigma*sigma)) / sum)
		sx, sy := -float64(i)*dx, -float64(i)*dy
		fx, fy := math.Floor(sx), math.Floor(sy)
		ax, ay := float32(sx-fx), float32(sy-fy)
		taps[i] = tap{int(fx), int(fy), wi * (1 - ax) * (1 - ay), wi * ax * (1 - ay), wi * (1 - ax) * ay, wi * ax * ay}
		reach = max(reach, -int(fx), -int(fy), int(fy)+1)
	}
	for _, pl := range p.c {
		src := append([]float32(nil), pl...)
		for y := 0; y < p.h; y++ {
			inner := y >= reach && y < p.h-reach-1
			for x := 0; x < p.w; x++ {
				acc := float32(0)
				if inner && x >= reach && x < p.w-1 {
					for _, t := range taps {
						k := (y+t.oy)*p.w + x + t.ox
						acc += t.w00*src[k] + t.w10*src[k+1] + t.w01*src[k+p.w] + t.w11*src[k+p.w+1]
					}
				} else {
					for _, t := range taps {
						x0, y0 := clampInt(x+t.ox, 0, p.w-1), clampInt(y+t.oy, 0, p.h-1)
						x1, y1 := clampInt(x+t.ox+1, 0, p.w-1), clampInt(y+t.oy+1, 0, p.h-1)
						acc += t.w00*src[y0*p.w+x0] + t.w10*src[y0*p.w+x1] + t.w01*src[y1*p.w+x0] + t.w11*src[y1*p.w+x1]
					}
				}
				pl[y*p.w+x] = acc
			}
		}
	}
}

func camBrightness(p planes, sev int, _ *rand.Rand) {
	c := float32(camBrightC(sev))
	if len(p.c) == 1 {
		for i, v := range p.c[0] {
			p.c[0][i] = min(v+c, 1)
		}
		return
	}
	// HSV: every channel is proportional to V at fixed hue and saturation,
	// so raising V to min(V+c, 1) scales the channels by that ratio; black
	// (V = 0, S undefined) becomes grey c.
	for i := 0; i < p.w*p.h; i++ {
		v := float32(0)
		for _, pl := range p.c {
			v = max(v, pl[i])
		}
		nv := min(v+c, 1)
		for _, pl := range p.c {
			if v == 0 {
				pl[i] = nv
			} else {
				pl[i] *= nv / v
			}
		}
	}
}

func camContrast(p planes, sev int, _ *rand.Rand) {
	c := float32(camContrastC(sev))
	for _, pl := range p.c {
		sum := 0.0
		for _, v := range pl {
			sum += float64(v)
		}
		mean := float32(sum / float64(len(pl)))
		for i, v := range pl {
			pl[i] = (v-mean)*c + mean
		}
	}
}

func camOverexposure(p planes, sev int, _ *rand.Rand) {
	g := float32(camGain(sev))
	for _, pl := range p.c {
		for i := range pl {
			pl[i] *= g
		}
	}
}
