package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// material is how a surface looks to the LiDAR and the camera.
type material struct {
	refl    float32 // LiDAR reflectivity at normal incidence, [0, 1]
	albedo  float32 // camera albedo, [0, 1]
	texture texture
}

type texture uint8

const (
	texPlain texture = iota
	texGround
	texBrick
	texNoise
	texStripes
)

// Materials of the world (functions, so that nothing is mutable).
func matGround() material  { return material{0.22, 0.45, texGround} }
func matWall() material    { return material{0.45, 0.65, texBrick} }
func matCrate() material   { return material{0.35, 0.55, texStripes} }
func matPole() material    { return material{0.80, 0.75, texPlain} }
func matBark() material    { return material{0.30, 0.30, texNoise} }
func matLeaves() material  { return material{0.55, 0.38, texNoise} }
func matPerson() material  { return material{0.25, 0.35, texNoise} }
func matVehicle() material { return material{0.60, 0.50, texPlain} }

// WorldOptions configure the procedural world. Zero fields take defaults; a
// negative count asks for none of that object.
type WorldOptions struct {
	Seed       uint64  // default 1
	Size       float64 // side of the square world, metres (default 140)
	Walls      int     // building walls (default 10)
	Boxes      int     // crates and containers (default 40)
	Poles      int     // lamp posts, sign poles (default 40)
	Trees      int     // trunk + leafy crown (default 30)
	Bushes     int     // low leafy clutter (default 60)
	People     int     // walking people (default 8)
	Vehicles   int     // driving vehicles (default 4)
	RobotSpeed float64 // m/s along the path (default 2)
}

// DefaultWorldOptions returns the defaults used for zero fields.
func DefaultWorldOptions() WorldOptions {
	return WorldOptions{Seed: 1, Size: 140, Walls: 10, Boxes: 40, Poles: 40, Trees: 30, Bushes: 60, People: 8, Vehicles: 4, RobotSpeed: 2}
}

func (o WorldOptions) withDefaults() (WorldOptions, error) {
	d := DefaultWorldOptions()
	if o.Seed == 0 {
		o.Seed = d.Seed
	}
	if o.Size == 0 {
		o.Size = d.Size
	}
	if o.RobotSpeed == 0 {
		o.RobotSpeed = d.RobotSpeed
	}
	if !(o.Size >= 40 && o.Size <= 2000) {
		return o, fmt.Errorf("sim: world size %v m out of range [40, 2000]", o.Size)
	}
	if !(o.RobotSpeed >= 0 && o.RobotSpeed <= 40) {
		return o, fmt.Errorf("sim: robot speed %v m/s out of range [0, 40]", o.RobotSpeed)
	}
	counts := []*int{&o.Walls, &o.Boxes, &o.Poles, &o.Trees, &o.Bushes, &o.People, &o.Vehicles}
	defs := []int{d.Walls, d.Boxes, d.Poles, d.Trees, d.Bushes, d.People, d.Vehicles}
	for i, n := range counts {
		switch {
		case *n == 0:
			*n = defs[i]
		case *n < 0:
			*n = 0
		case *n > 5000:
			return o, fmt.Errorf("sim: object count %d out of range [0, 5000]", *n)
		}
	}
	return o, nil
}

// mover is an object that walks or drives back and forth between a and b.
type mover struct {
	obj        object
	ax, ay     float64
	bx, by     float64
	speed      float64 // m/s
	phase      float64 // metres along the way at t = 0
	length     float64
	faceTravel bool // boxes turn to face their direction of travel
}

// at returns the object at time t.
func (m *mover) at(t time.Duration) object {
	o := m.obj
	if m.length == 0 {
		return o
	}
	s := math.Mod(m.phase+m.speed*t.Seconds(), 2*m.length)
	dir := 1.0
	if s > m.length {
		s = 2*m.length - s
		dir = -1
	}
	f := s / m.length
	o.cx = m.ax + (m.bx-m.ax)*f
	o.cy = m.ay + (m.by-m.ay)*f
	if m.faceTravel {
		o.yaw = math.Atan2((m.by-m.ay)*dir, (m.bx-m.ax)*dir)
	}
	o.finish()
	return o
}

// World is an immutable procedural scene; safe for concurrent use.
type World struct {
	opts   WorldOptions
	static []object
	movers []mover
	path   path
	grid   gridSpec
	zmax   float64 // no object reaches above this height
}

// NewWorld builds the world of opts.
func NewWorld(opts WorldOptions) (*World, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r := rand.New(rand.NewPCG(opts.Seed, 0x5157_0001))
	w := &World{opts: opts}
	w.path = newPath(opts.Size, r)
	half := opts.Size / 2
	uni := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	// place draws a position whose clearance rectangle keeps 2.5 m from the
	// path, giving up (and skipping the object) after a few tries
	place := func(radius float64) (x, y float64, ok bool) {
		for try := 0; try < 40; try++ {
			x, y = uni(-half+radius, half-radius), uni(-half+radius, half-radius)
			if w.path.distance(x, y) > radius+2.5 {
				return x, y, true
			}
		}
		return 0, 0, false
	}
	add := func(o object) {
		o.finish()
		w.static = append(w.static, o)
	}
	for i := 0; i < opts.Walls; i++ {
		l, th, h := uni(8, 25), uni(0.3, 0.6), uni(3, 7)
		if x, y, ok := place(l / 2); ok {
			add(object{kind: shapeBox, mat: matWall(), cx: x, cy: y, hx: l / 2, hy: th / 2, yaw: uni(0, math.Pi), z0: 0, z1: h})
		}
	}
	for i := 0; i < opts.Boxes; i++ {
		sx, sy, h := uni(0.5, 3), uni(0.5, 2.5), uni(0.5, 2.6)
		if x, y, ok := place(math.Hypot(sx, sy) / 2); ok {
			add(object{kind: shapeBox, mat: matCrate(), cx: x, cy: y, hx: sx / 2, hy: sy / 2, yaw: uni(0, math.Pi), z1: h})
		}
	}
	for i := 0; i < opts.Poles; i++ {
		if x, y, ok := place(0.2); ok {
			add(object{kind: shapeCylinder, mat: matPole(), cx: x, cy: y, hx: uni(0.05, 0.15), z1: uni(2.5, 6)})
		}
	}
	for i := 0; i < opts.Trees; i++ {
		crown := uni(1.2, 2.5)
		if x, y, ok := place(crown); ok {
			trunk := uni(2, 3.5)
			add(object{kind: shapeCylinder, mat: matBark(), cx: x, cy: y, hx: uni(0.12, 0.3), z1: trunk + crown/2})
			add(object{kind: shapeSphere, mat: matLeaves(), cx: x, cy: y, hx: crown, z0: trunk + crown - crown, z1: trunk + crown + crown, leafy: true})
		}
	}
	for i := 0; i < opts.Bushes; i++ {
		rad := uni(0.3, 0.9)
		if x, y, ok := place(rad); ok {
			add(object{kind: shapeSphere, mat: matLeaves(), cx: x, cy: y, hx: rad, z0: -0.3 * rad, z1: 1.7 * rad, leafy: true})
		}
	}
	// People cross the path; vehicles drive along lanes near it.
	for i := 0; i < opts.People; i++ {
		s := r.Float64()
		px, py, tx, ty := w.path.at(s * w.path.length)
		nx, ny := ty, -tx
		span := uni(6, 14)
		m := mover{
			obj: object{kind: shapeCylinder, mat: matPerson(), hx: uni(0.2, 0.3), z1: uni(1.55, 1.9)},
			ax:  px - nx*span/2, ay: py - ny*span/2,
			bx: px + nx*span/2, by: py + ny*span/2,
			speed: uni(0.8, 1.6), phase: uni(0, 2*span),
		}
		m.length = span
		w.movers = append(w.movers, m)
	}
	for i := 0; i < opts.Vehicles; i++ {
		s := r.Float64()
		px, py, tx, ty := w.path.at(s * w.path.length)
		off := uni(4, 7)
		if r.IntN(2) == 0 {
			off = -off
		}
		span := uni(20, 40)
		cx, cy := px+ty*off, py-tx*off
		m := mover{
			obj: object{kind: shapeBox, mat: matVehicle(), hx: 2.3, hy: 0.9, z1: uni(1.4, 2.2)},
			ax:  cx - tx*span/2, ay: cy - ty*span/2,
			bx: cx + tx*span/2, by: cy + ty*span/2,
			speed: uni(3, 7), phase: uni(0, 2*span), faceTravel: true,
		}
		m.length = span
		w.movers = append(w.movers, m)
	}
	for i := range w.movers {
		w.movers[i].obj.finish()
	}
	w.grid = newGridSpec(opts.Size+20, 8)
	for _, o := range w.static {
		w.zmax = max(w.zmax, o.z1)
	}
	for _, m := range w.movers {
		w.zmax = max(w.zmax, m.obj.z1)
	}
	return w, nil
}

// Options returns the options the world was built with (defaults filled).
func (w *World) Options() WorldOptions { return w.opts }

// Pose is where the robot is at a time: position on the ground (metres) and
// heading (radians, counter-clockwise from +x).
type Pose struct {
	X, Y, Yaw float64
}

// RobotPose returns the robot's pose at time t since the start of the drive.
func (w *World) RobotPose(t time.Duration) Pose {
	s := math.Mod(w.opts.RobotSpeed*t.Seconds(), w.path.length)
	x, y, tx, ty := w.path.at(s)
	return Pose{X: x, Y: y, Yaw: math.Atan2(ty, tx)}
}

// scene builds the acceleration grid with the movers at time t.
func (w *World) scene(t time.Duration) *scene {
	objs := make([]object, 0, len(w.static)+len(w.movers))
	objs = append(objs, w.static...)
	for i := range w.movers {
		objs = append(objs, w.movers[i].at(t))
	}
	return newScene(w.grid, objs, w.zmax)
}
