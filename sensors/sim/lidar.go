package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// VLP-16 geometry (VLP-16 user manual, table 9-1): laser id → elevation.
const (
	lidarLasers = 16
	// lidarFiringGap is the time between two lasers' firings, µs.
	lidarFiringGap = 2.304
)

// ringElevationDeg is the elevation of laser id of n: the VLP-16's for
// n = 16, else evenly spread over [−25°, +15°].
func ringElevationDeg(id, n int) float64 {
	if n == lidarLasers {
		return laserElevationDeg(id)
	}
	if n == 1 {
		return 0
	}
	return -25 + 40*float64(id)/float64(n-1)
}

func laserElevationDeg(id int) float64 {
	if id%2 == 0 {
		return -15 + float64(id)
	}
	return float64(id)
}

// Epoch is the stamp of frame 0 of the frame generators (Sources restamp).
func Epoch() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// LidarOptions configure the simulated VLP-16. Zero fields take defaults.
type LidarOptions struct {
	Name    string        // sensor name (default "lidar0")
	Seed    uint64        // noise stream (default 1)
	Period  time.Duration // revolution period (default 100 ms, 10 Hz)
	Columns int           // azimuth steps per revolution (default 1800: 0.2°)
	// Rings is the number of lasers (default 16, at the VLP-16's
	// elevations); any other count spreads them evenly from −25° to +15°,
	// lowest first, as a stand-in for 32- to 128-ring sensors.
	Rings      int
	MaxRange   float64 // metres (default 100)
	MinRange   float64 // metres (default 0.5)
	RangeNoise float64 // σ of the range noise, metres (default 0.02)
	Height     float64 // sensor height above ground, metres (default 1.8)
	// DropNoReturn leaves out the no-return cells instead of keeping them
	// as points with Range 0.
	DropNoReturn bool
}

func (o LidarOptions) withDefaults() (LidarOptions, error) {
	if o.Name == "" {
		o.Name = "lidar0"
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Period == 0 {
		o.Period = 100 * time.Millisecond
	}
	if o.Columns == 0 {
		o.Columns = 1800
	}
	if o.Rings == 0 {
		o.Rings = lidarLasers
	}
	if o.MaxRange == 0 {
		o.MaxRange = 100
	}
	if o.MinRange == 0 {
		o.MinRange = 0.5
	}
	if o.RangeNoise == 0 {
		o.RangeNoise = 0.02
	}
	if o.Height == 0 {
		o.Height = 1.8
	}
	switch {
	case o.Period < time.Millisecond:
		return o, fmt.Errorf("sim: lidar period %v too short", o.Period)
	case o.Columns < 1 || o.Columns > 36000:
		return o, fmt.Errorf("sim: lidar columns %d out of range [1, 36000]", o.Columns)
	case o.Rings < 1 || o.Rings > 128:
		return o, fmt.Errorf("sim: lidar rings %d out of range [1, 128]", o.Rings)
	case !(o.MaxRange > o.MinRange && o.MinRange >= 0 && o.MaxRange <= 1000):
		return o, fmt.Errorf("sim: lidar range [%v, %v] invalid", o.MinRange, o.MaxRange)
	case !(o.RangeNoise >= 0 && o.RangeNoise < 1):
		return o, fmt.Errorf("sim: lidar range noise %v invalid", o.RangeNoise)
	case !(o.Height > 0 && o.Height < 7):
		return o, fmt.Errorf("sim: lidar height %v m out of range (0, 7)", o.Height)
	}
	return o, nil
}

// Lidar generates VLP-16-like scans of a World. Safe for concurrent use.
type Lidar struct {
	w    *World
	opts LidarOptions
	elev []float32 // radians, by laser id
	sinE []float64
	cosE []float64
	sinA []float64 // per column
	cosA []float64
}

// NewLidar returns a LiDAR mounted on the robot of w.
func NewLidar(w *World, opts LidarOptions) (*Lidar, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l := &Lidar{w: w, opts: opts, elev: make([]float32, opts.Rings)}
	for i := 0; i < opts.Rings; i++ {
		e := ringElevationDeg(i, opts.Rings) * math.Pi / 180
		l.elev[i] = float32(e)
		l.sinE = append(l.sinE, math.Sin(e))
		l.cosE = append(l.cosE, math.Cos(e))
	}
	for c := 0; c < opts.Columns; c++ {
		a := 2 * math.Pi * float64(c) / float64(opts.Columns)
		l.sinA = append(l.sinA, math.Sin(a))
		l.cosA = append(l.cosA, math.Cos(a))
	}
	return l, nil
}

// Options returns the options with defaults filled.
func (l *Lidar) Options() LidarOptions { return l.opts }

// Info describes the LiDAR as a source.
func (l *Lidar) Info() sensors.Info {
	model := "VLP-16 (simulated)"
	if l.opts.Rings != lidarLasers {
		model = fmt.Sprintf("%d-ring (simulated)", l.opts.Rings)
	}
	return sensors.Info{Name: l.opts.Name, Kind: sensors.KindLidar, Model: model, Period: l.opts.Period, Address: fmt.Sprintf("sim:lidar/seed=%d", l.opts.Seed)}
}

// Frame implements Generator.
func (l *Lidar) Frame(i uint64) sensors.Frame { return l.Scan(i) }

// Scan returns revolution i of the drive (time i·Period), stamped
// Epoch()+i·Period with Seq i+1. Points are in firing order: column by
// column, lasers 0–15 within a column.
func (l *Lidar) Scan(i uint64) *sensors.Scan {
	o := l.opts
	t0 := time.Duration(i) * o.Period
	sc := l.w.scene(t0)
	r := rand.New(rand.NewPCG(o.Seed^0x11da7, i))
	s := &sensors.Scan{
		Header:         sensors.Header{Sensor: o.Name, Seq: i + 1, Stamp: Epoch().Add(t0)},
		Rings:          o.Rings,
		RingElevations: append([]float32(nil), l.elev...),
		Points:         make([]sensors.Point, 0, o.Columns*o.Rings),
	}
	s.Received = s.Stamp.Add(o.Period)
	colDur := float64(o.Period.Microseconds()) / float64(o.Columns)
	gap := lidarFiringGap * lidarLasers / float64(o.Rings) // all lasers fire within a column
	for c := 0; c < o.Columns; c++ {
		offUS := float64(c) * colDur
		pose := l.w.RobotPose(t0 + time.Duration(offUS*1e3))
		fx, fy := math.Cos(pose.Yaw), math.Sin(pose.Yaw) // forward
		rx, ry := fy, -fx                                // right
		org := vec3{pose.X, pose.Y, o.Height}
		sa, ca := l.sinA[c], l.cosA[c]
		az := float32(2 * math.Pi * float64(c) / float64(o.Columns))
		for ring := 0; ring < o.Rings; ring++ {
			// sensor frame: x = cosω·sinα (right), y = cosω·cosα (forward), z = sinω
			sx, sy, sz := l.cosE[ring]*sa, l.cosE[ring]*ca, l.sinE[ring]
			d := vec3{sx*rx + sy*fx, sx*ry + sy*fy, sz}
			p := sensors.Point{Azimuth: az, Ring: uint16(ring), Offset: int32(offUS + float64(ring)*gap)}
			noise := r.NormFloat64()
			h, ok := sc.cast(org, d, o.MaxRange)
			if ok {
				cosInc := -h.n.dot(d)
				rng := h.t + o.RangeNoise*noise
				// echo strength ∝ reflectivity·cos(incidence)/r²; too weak
				// or out of range → no return
				power := float64(h.mat.refl) * cosInc * 2500 / (h.t * h.t)
				if cosInc > 0 && power >= 0.01 && rng >= o.MinRange && rng <= o.MaxRange {
					in := float64(h.mat.refl) * (0.3 + 0.7*cosInc) * (0.95 + 0.1*hash3(int(h.p.x*20), int(h.p.y*20), int(h.p.z*20)))
					p.Intensity = float32(math.Min(1, in))
					p.Range = float32(rng)
					p.X, p.Y, p.Z = float32(rng*sx), float32(rng*sy), float32(rng*sz)
				}
			}
			if p.Range == 0 && o.DropNoReturn {
				continue
			}
			s.Points = append(s.Points, p)
		}
	}
	return s
}
