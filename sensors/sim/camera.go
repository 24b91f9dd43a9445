package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// CameraOptions configure the simulated grayscale camera. Zero fields take
// defaults.
type CameraOptions struct {
	Name          string        // sensor name (default "cam0")
	Seed          uint64        // noise stream (default 1)
	Width, Height int           // pixels (default 320×240)
	Period        time.Duration // frame period (default 1/15 s)
	HFOV          float64       // horizontal field of view, degrees (default 80)
	Mount         float64       // height above ground, metres (default 1.2)
	Pitch         float64       // degrees, negative looks down (default −3)
	Exposure      float64       // linear gain on scene radiance (default 1)
	FullWell      float64       // electrons at saturation: shot noise σ² = v/FullWell (default 2000)
	ReadNoise     float64       // σ of the read noise on the [0, 1] scale (default 0.004)
}

func (o CameraOptions) withDefaults() (CameraOptions, error) {
	if o.Name == "" {
		o.Name = "cam0"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Width == 0 {
		o.Width = 320
	}
	if o.Height == 0 {
		o.Height = 240
	}
	if o.Period == 0 {
		o.Period = time.Second / 15
	}
	if o.HFOV == 0 {
		o.HFOV = 80
	}
	if o.Mount == 0 {
		o.Mount = 1.2
	}
	if o.Pitch == 0 {
		o.Pitch = -3
	}
	if o.Exposure == 0 {
		o.Exposure = 1
	}
	if o.FullWell == 0 {
		o.FullWell = 2000
	}
	if o.ReadNoise == 0 {
		o.ReadNoise = 0.004
	}
	switch {
	case o.Width < 8 || o.Height < 8 || o.Width > 8192 || o.Height > 8192:
		return o, fmt.Errorf("sim: camera size %d×%d out of range [8, 8192]", o.Width, o.Height)
	case o.Period < time.Millisecond:
		return o, fmt.Errorf("sim: camera period %v too short", o.Period)
	case !(o.HFOV >= 10 && o.HFOV <= 170):
		return o, fmt.Errorf("sim: camera field of view %v° out of range [10, 170]", o.HFOV)
	case !(o.Mount > 0 && o.Mount < 7):
		return o, fmt.Errorf("sim: camera height %v m out of range (0, 7)", o.Mount)
	case !(o.Pitch >= -60 && o.Pitch <= 60):
		return o, fmt.Errorf("sim: camera pitch %v° out of range [−60, 60]", o.Pitch)
	case !(o.Exposure > 0 && o.Exposure <= 100):
		return o, fmt.Errorf("sim: camera exposure %v out of range (0, 100]", o.Exposure)
	case !(o.FullWell >= 10) || !(o.ReadNoise >= 0 && o.ReadNoise < 1):
		return o, fmt.Errorf("sim: camera noise (full well %v, read noise %v) invalid", o.FullWell, o.ReadNoise)
	}
	return o, nil
}

// gammaLUT maps linear values quantised to 1/gammaSteps to 8-bit sRGB-like
// codes (power 1/2.2).
const gammaSteps = 4096

// Camera renders grayscale frames of a World. Safe for concurrent use.
type Camera struct {
	w     *World
	opts  CameraOptions
	rays  []vec3 // per pixel, camera frame (x right, y forward, z up), unit
	gamma []byte
}

// NewCamera returns a camera mounted on the robot of w, looking forward.
func NewCamera(w *World, opts CameraOptions) (*Camera, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Camera{w: w, opts: opts, rays: make([]vec3, opts.Width*opts.Height), gamma: make([]byte, gammaSteps+1)}
	f := float64(opts.Width) / 2 / math.Tan(opts.HFOV*math.Pi/360)
	cp, sp := math.Cos(opts.Pitch*math.Pi/180), math.Sin(opts.Pitch*math.Pi/180)
	for v := 0; v < opts.Height; v++ {
		for u := 0; u < opts.Width; u++ {
			x := (float64(u) + 0.5 - float64(opts.Width)/2) / f
			z := -(float64(v) + 0.5 - float64(opts.Height)/2) / f
			// pitch about the x axis
			d := vec3{x, cp - z*sp, sp + z*cp}
			c.rays[v*opts.Width+u] = d.unit()
		}
	}
	for i := range c.gamma {
		c.gamma[i] = byte(math.Round(255 * math.Pow(float64(i)/gammaSteps, 1/2.2)))
	}
	return c, nil
}

// Options returns the options with defaults filled.
func (c *Camera) Options() CameraOptions { return c.opts }

// Info describes the camera as a source.
func (c *Camera) Info() sensors.Info {
	return sensors.Info{Name: c.opts.Name, Kind: sensors.KindCamera, Model: fmt.Sprintf("grayscale %dx%d (simulated)", c.opts.Width, c.opts.Height), Period: c.opts.Period, Address: fmt.Sprintf("sim:camera/seed=%d", c.opts.Seed)}
}

// Frame implements Generator.
func (c *Camera) Frame(i uint64) sensors.Frame { return c.Image(i) }

// sunDir is the unit direction towards the sun.
func sunDir() vec3 { return vec3{0.4, 0.3, 0.866}.unit() }

// Image renders frame i (time i·Period), stamped Epoch()+i·Period, Seq i+1.
func (c *Camera) Image(i uint64) *sensors.Image {
	o := c.opts
	t := time.Duration(i) * o.Period
	sc := c.w.scene(t)
	r := rand.New(rand.NewPCG(o.Seed^0xca3e7a, i))
	pose := c.w.RobotPose(t)
	fx, fy := math.Cos(pose.Yaw), math.Sin(pose.Yaw)
	rx, ry := fy, -fx
	org := vec3{pose.X, pose.Y, o.Mount}
	sun := sunDir()
	im := &sensors.Image{
		Header: sensors.Header{Sensor: o.Name, Seq: i + 1, Stamp: Epoch().Add(t)},
		Width:  o.Width, Height: o.Height, Stride: o.Width, Format: sensors.Gray8,
		Pix: make([]byte, o.Width*o.Height),
	}
	im.Received = im.Stamp.Add(o.Period / 2)
	const far = 300.0
	for k, cd := range c.rays {
		d := vec3{cd.x*rx + cd.y*fx, cd.x*ry + cd.y*fy, cd.z}
		var rad float64
		sky := 0.72 + 0.2*max(0, 1-4*d.z)
		if h, ok := sc.cast(org, d, far); ok {
			light := 0.35 + 0.65*max(0, h.n.dot(sun))
			rad = float64(h.mat.albedo) * shade(h) * light
			haze := h.t / (h.t + 250) // aerial perspective, rational stand-in for 1 − exp(−t/250)
			rad += (sky - rad) * haze
		} else {
			rad = sky
		}
		v := o.Exposure * rad
		v += math.Sqrt(max(v, 0)/o.FullWell+o.ReadNoise*o.ReadNoise) * r.NormFloat64()
		q := int(v*gammaSteps + 0.5)
		q = min(max(q, 0), gammaSteps)
		im.Pix[k] = c.gamma[q]
	}
	return im
}

// valueNoise2 is smooth lattice noise in [0, 1) with unit cell size.
func valueNoise2(x, y float64, salt int) float64 {
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	ix, iy := int(x0), int(y0)
	fx = fx * fx * (3 - 2*fx)
	fy = fy * fy * (3 - 2*fy)
	a := hash3(ix, iy, salt)
	b := hash3(ix+1, iy, salt)
	c := hash3(ix, iy+1, salt)
	d := hash3(ix+1, iy+1, salt)
	return a + (b-a)*fx + (c-a)*fy + (a-b-c+d)*fx*fy
}

// shade is the texture factor at a hit, about 0.5–1.
func shade(h hit) float64 {
	p := h.p
	switch h.mat.texture {
	case texGround:
		v := 0.7 + 0.2*valueNoise2(p.x*1.7, p.y*1.7, 11) + 0.15*valueNoise2(p.x*0.08, p.y*0.08, 12)
		// paving joints every 2 m
		if fx, fy := p.x/2-math.Floor(p.x/2), p.y/2-math.Floor(p.y/2); fx < 0.02 || fy < 0.02 {
			v *= 0.7
		}
		return v
	case texBrick:
		u := p.x*h.n.y - p.y*h.n.x // along the wall
		row := math.Floor(p.z / 0.2)
		uu := u/0.4 + 0.5*math.Mod(row, 2)
		col := math.Floor(uu)
		if p.z/0.2-row < 0.1 || uu-col < 0.05 {
			return 0.6 // mortar
		}
		return 0.8 + 0.2*hash3(int(col), int(row), 5)
	case texNoise:
		return 0.6 + 0.4*valueNoise2(p.x*4+p.z*3, p.y*4-p.z*2, 7)
	case texStripes:
		if math.Mod(p.z, 0.15) < 0.02 {
			return 0.55
		}
		return 0.85 + 0.1*valueNoise2(p.x*3, p.y*3, 9)
	}
	return 1
}
