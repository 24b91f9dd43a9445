package faults

import (
	"math"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

func pixStats(im *sensors.Image) (mean, sd float64) {
	xs := make([]float64, 0, im.Width*im.Height)
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			xs = append(xs, float64(im.Pix[y*im.Stride+x]))
		}
	}
	return meanStd(xs)
}

func TestCameraGaussianNoise(t *testing.T) {
	in := constImage(200, 150, 128)
	for sev, c := range map[int]float64{1: 0.12, 2: 0.18} { // severity 3 clips too much to measure σ
		out := one(t, sensors.KindCamera, "gaussian_noise", sev, 3, in).(*sensors.Image)
		m, sd := pixStats(out)
		if math.Abs(sd-c*255) > 0.04*c*255 || math.Abs(m-128) > 2 {
			t.Errorf("severity %d: mean %.1f σ %.1f, want 128 and %.1f", sev, m, sd, c*255)
		}
	}
}

func TestShotNoise(t *testing.T) {
	in := constImage(200, 150, 128)
	x := 128.0 / 255
	for sev, c := range map[int]float64{1: 25, 2: 12, 3: 3} {
		// exact moments of to8(min(Poisson(x·c)/c, 1))/255
		var wm, w2 float64
		p := math.Exp(-x * c)
		for k := 0; k < 200; k++ {
			if k > 0 {
				p *= x * c / float64(k)
			}
			v := float64(to8(float32(float64(k)/c))) / 255
			wm += p * v
			w2 += p * v * v
		}
		wantSD := math.Sqrt(w2-wm*wm) * 255
		out := one(t, sensors.KindCamera, "shot_noise", sev, 3, in).(*sensors.Image)
		m, sd := pixStats(out)
		if math.Abs(m/255-wm) > 0.01 || math.Abs(sd-wantSD) > 0.04*wantSD {
			t.Errorf("severity %d: mean %.3f σ %.1f, want %.3f and %.1f", sev, m/255, sd, wm, wantSD)
		}
	}
}

func TestImpulseNoise(t *testing.T) {
	in := constImage(200, 150, 128)
	for sev, c := range map[int]float64{1: 0.06, 2: 0.09, 3: 0.27} {
		out := one(t, sensors.KindCamera, "impulse_noise", sev, 3, in).(*sensors.Image)
		salt, pepper := 0, 0
		for _, v := range out.Pix {
			switch v {
			case 255:
				salt++
			case 0:
				pepper++
			}
		}
		m := int(math.Round(c * 200 * 150))
		if salt+pepper != m || salt != m/2 {
			t.Errorf("severity %d: %d salt + %d pepper, want %d with half salt", sev, salt, pepper, m)
		}
	}
}

// spot is a dark image with one bright pixel in the middle.
func spot(w, h int) *sensors.Image {
	im := constImage(w, h, 0)
	im.Pix[(h/2)*w+w/2] = 255
	return im
}

// spread returns the total mass and the second moment (variance) along x
// and y of an image's values about the centre.
func spread(im *sensors.Image) (mass, vx, vy float64) {
	cx, cy := float64(im.Width/2), float64(im.Height/2)
	for y := 0; y < im.Height; y++ {
		for x := 0; x < im.Width; x++ {
			v := float64(im.Pix[y*im.Stride+x])
			mass += v
			vx += v * (float64(x) - cx) * (float64(x) - cx)
			vy += v * (float64(y) - cy) * (float64(y) - cy)
		}
	}
	return mass, vx / mass, vy / mass
}

func TestGaussianBlurWidth(t *testing.T) {
	for sev, sigma := range map[int]float64{1: 2, 2: 3, 3: 6} {
		in := constImage(81, 81, 0)
		// a bright 9×9 block keeps the blurred values above 8-bit rounding
		for y := 36; y < 45; y++ {
			for x := 36; x < 45; x++ {
				in.Pix[y*81+x] = 255
			}
		}
		_, v0, _ := spread(in)
		out := one(t, sensors.KindCamera, "gaussian_blur", sev, 1, in).(*sensors.Image)
		_, vx, vy := spread(out)
		got := math.Sqrt(vx - v0)
		if math.Abs(got-sigma) > 0.08*sigma || math.Abs(vx-vy) > 0.5 {
			t.Errorf("severity %d: blur σ %.2f (σy² %.2f), want %v", sev, got, vy-v0, sigma)
		}
	}
}

func TestDefocusDisk(t *testing.T) {
	for sev, r := range map[int]float64{1: 4, 2: 6, 3: 10} {
		taps, rad := diskKernel(r)
		size := 2*rad + 1
		// the kernel's support is the disk: area ≈ πr²
		area := 0.0
		for _, v := range taps {
			area += float64(v) / float64(taps[rad*size+rad])
		}
		if math.Abs(area-math.Pi*r*r) > 0.02*math.Pi*r*r {
			t.Errorf("severity %d: disk area %.1f px², want π·%v² = %.1f", sev, area, r, math.Pi*r*r)
		}
		out := one(t, sensors.KindCamera, "defocus_blur", sev, 1, constImage(40, 40, 90)).(*sensors.Image)
		if m, sd := pixStats(out); math.Abs(m-90) > 0.5 || sd > 0.5 {
			t.Errorf("severity %d: flat image not preserved (mean %.2f σ %.2f)", sev, m, sd)
		}
	}
}

func TestMotionBlurLine(t *testing.T) {
	// a point smears into a line of about r+1 pixels within ±45° of horizontal
	for sev := 1; sev <= 3; sev++ {
		for seed := uint64(0); seed < 4; seed++ {
			in := constImage(61, 61, 0)
			in.Pix[30*61+30] = 255
			out := one(t, sensors.KindCamera, "motion_blur", sev, seed, in).(*sensors.Image)
			minX, maxX, minY, maxY := 61, -1, 61, -1
			for y := 0; y < 61; y++ {
				for x := 0; x < 61; x++ {
					if out.Pix[y*61+x] > 0 {
						minX, maxX, minY, maxY = min(minX, x), max(maxX, x), min(minY, y), max(maxY, y)
					}
				}
			}
			r := camMotionR(sev)
			if minX < 30 || maxX > 30+r+1 || maxX-minX < int(float64(r)*0.7)-1 || maxY-minY > maxX-minX+2 {
				t.Errorf("severity %d seed %d: smear x %d..%d y %d..%d, want a line of length ≤ %d to the right within ±45°", sev, seed, minX, maxX, minY, maxY, r)
			}
		}
	}
}

func TestCameraFog(t *testing.T) {
	in := testFrames(t).images[0]
	corr := func(a, b *sensors.Image) float64 {
		var xs, ys []float64
		for i := range a.Pix {
			xs = append(xs, float64(a.Pix[i]))
			ys = append(ys, float64(b.Pix[i]))
		}
		mx, sx := meanStd(xs)
		my, sy := meanStd(ys)
		c := 0.0
		for i := range xs {
			c += (xs[i] - mx) * (ys[i] - my)
		}
		return c / float64(len(xs)) / (sx * sy)
	}
	prev := 1.0
	for sev := 1; sev <= 3; sev++ {
		out := one(t, sensors.KindCamera, "fog", sev, 1, in).(*sensors.Image)
		c := corr(in, out)
		t.Logf("severity %d: correlation with the clean image %.3f", sev, c)
		if c >= prev {
			t.Errorf("severity %d: correlation with the clean image %.3f, not below %.3f", sev, c, prev)
		}
		prev = c
	}
	p := plasma(64, 2, frameRand(1, "t", 0))
	lo, hi := float32(1), float32(0)
	for _, v := range p {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != 0 || hi != 1 {
		t.Errorf("plasma range [%v, %v], want [0, 1]", lo, hi)
	}
}

func TestPhotometric(t *testing.T) {
	in := constImage(20, 20, 77) // 0.302
	x := 77.0 / 255
	for sev := 1; sev <= 3; sev++ {
		b := one(t, sensors.KindCamera, "brightness", sev, 1, in).(*sensors.Image)
		if want := to8(float32(math.Min(1, x+camBrightC(sev)))); b.Pix[0] != want {
			t.Errorf("brightness %d: %d, want %d", sev, b.Pix[0], want)
		}
		o := one(t, sensors.KindCamera, "overexposure", sev, 1, in).(*sensors.Image)
		if want := to8(float32(math.Min(1, x*camGain(sev)))); o.Pix[0] != want {
			t.Errorf("overexposure %d: %d, want %d", sev, o.Pix[0], want)
		}
	}
	// contrast scales the deviation from the mean by c
	grad := constImage(256, 4, 0)
	for i := range grad.Pix {
		grad.Pix[i] = byte(i % 256)
	}
	_, sd0 := pixStats(grad)
	for sev, c := range map[int]float64{1: 0.3, 2: 0.2, 3: 0.05} {
		out := one(t, sensors.KindCamera, "contrast", sev, 1, grad).(*sensors.Image)
		m, sd := pixStats(out)
		if math.Abs(sd-c*sd0) > 0.5 || math.Abs(m-127.5) > 0.6 {
			t.Errorf("contrast %d: σ %.2f mean %.2f, want %.2f and 127.5", sev, sd, m, c*sd0)
		}
	}
	// RGB brightness keeps hue: channel ratios are unchanged
	rgb := &sensors.Image{Width: 1, Height: 1, Stride: 3, Format: sensors.RGB24, Pix: []byte{100, 50, 25}}
	out := one(t, sensors.KindCamera, "brightness", 1, 1, rgb).(*sensors.Image)
	if out.Pix[0] != to8(float32((100.0/255+0.2))) || math.Abs(float64(out.Pix[1])/float64(out.Pix[0])-0.5) > 0.01 {
		t.Errorf("RGB brightness %v", out.Pix)
	}
}

func TestLensOcclusion(t *testing.T) {
	in := constImage(160, 120, 200)
	for sev, f := range map[int]float64{1: 0.05, 2: 0.15, 3: 0.35} {
		inj := mustNew(t, sensors.KindCamera, "lens_occlusion", sev, 8)
		a := inj.Inject(in)[0].(*sensors.Image)
		b := inj.Inject(in)[0].(*sensors.Image)
		if payloadHash(a) != payloadHash(b) {
			t.Errorf("severity %d: the blob moved between frames", sev)
		}
		dark := 0
		for _, v := range a.Pix {
			if v < 200-byte(occlusionDarkness*200/2) {
				dark++
			}
		}
		if got := float64(dark) / float64(len(a.Pix)); math.Abs(got-f) > 0.01 {
			t.Errorf("severity %d: %.3f of the image more than half darkened, want %.2f", sev, got, f)
		}
	}
}

func TestBlackFrame(t *testing.T) {
	in := testFrames(t).images[0]
	for sev, want := range map[int]int{1: 4, 2: 6, 3: 12} {
		inj := mustNew(t, sensors.KindCamera, "black_frame", sev, 1)
		black := 0
		for i := 0; i < 12; i++ {
			out := inj.Inject(in)[0].(*sensors.Image)
			zero := true
			for _, v := range out.Pix {
				if v != 0 {
					zero = false
					break
				}
			}
			if zero {
				black++
			}
		}
		if black != want {
			t.Errorf("severity %d: %d of 12 frames black, want %d", sev, black, want)
		}
	}
}

func TestFrozen(t *testing.T) {
	d := testFrames(t)
	inj := mustNew(t, sensors.KindCamera, "frozen", 1, 1)
	var out []sensors.Frame
	for i := 0; i < 7; i++ {
		in := cloneImage(d.images[i%3])
		in.Pix[0] = byte(i)
		in.Seq = uint64(i + 1)
		out = append(out, inj.Inject(in)...)
	}
	for i := 1; i <= 5; i++ {
		if payloadHash(out[i]) != payloadHash(out[0]) || out[i].Head().Seq != uint64(i+1) {
			t.Fatalf("frame %d: not a byte-identical repeat with a fresh header", i)
		}
	}
	if out[6].(*sensors.Image).Pix[0] != 6 {
		t.Error("frame 6 should be live again")
	}
}

func TestRollingTear(t *testing.T) {
	for sev, age := range map[int]int{1: 1, 2: 3, 3: 10} {
		inj := mustNew(t, sensors.KindCamera, "rolling_tear", sev, 2)
		var ins []*sensors.Image
		for i := 0; i < age+3; i++ {
			im := constImage(32, 40, byte(10*i+5))
			ins = append(ins, im)
			out := inj.Inject(im)[0].(*sensors.Image)
			if i < age {
				if out != im {
					t.Fatalf("severity %d frame %d: torn before %d frames of history", sev, i, age)
				}
				continue
			}
			old := byte(10*(i-age) + 5)
			line := 0
			for line < 40 && out.Pix[line*32] == old {
				line++
			}
			if line < 4 || line > 36 {
				t.Fatalf("severity %d frame %d: tear line at %d", sev, i, line)
			}
			for y := line; y < 40; y++ {
				if out.Pix[y*32] != im.Pix[0] {
					t.Fatalf("severity %d frame %d: row %d below the tear not from the current frame", sev, i, y)
				}
			}
		}
	}
}
