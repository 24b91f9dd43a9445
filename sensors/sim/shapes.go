package sim

import "math"

type vec3 struct{ x, y, z float64 }

func (a vec3) add(b vec3) vec3              { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec3) sub(b vec3) vec3              { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec3) scale(s float64) vec3         { return vec3{a.x * s, a.y * s, a.z * s} }
func (a vec3) dot(b vec3) float64           { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) norm() float64                { return math.Sqrt(a.dot(a)) }
func (a vec3) unit() vec3                   { return a.scale(1 / a.norm()) }
func (a vec3) along(d vec3, t float64) vec3 { return vec3{a.x + d.x*t, a.y + d.y*t, a.z + d.z*t} }

// shapeKind is the geometry of an object.
type shapeKind uint8

const (
	shapeBox      shapeKind = iota + 1 // box rotated about z by yaw
	shapeCylinder                      // vertical cylinder with a top cap
	shapeSphere                        // sphere; leafy adds a bumpy surface
)

// object is one solid in the world. Boxes: centre (cx, cy), half sizes hx,
// hy, yaw, z from z0 to z1. Cylinders: centre, radius hx, z0..z1. Spheres:
// centre (cx, cy, cz) with cz = (z0+z1)/2, radius hx.
type object struct {
	kind       shapeKind
	mat        material
	cx, cy     float64
	hx, hy     float64
	yaw        float64
	cos, sin   float64 // of yaw
	z0, z1     float64
	leafy      bool
	minX, minY float64 // bounding rectangle on the ground
	maxX, maxY float64
}

func (o *object) finish() {
	o.cos, o.sin = math.Cos(o.yaw), math.Sin(o.yaw)
	var ex, ey float64
	switch o.kind {
	case shapeBox:
		ex = math.Abs(o.hx*o.cos) + math.Abs(o.hy*o.sin)
		ey = math.Abs(o.hx*o.sin) + math.Abs(o.hy*o.cos)
	default:
		ex, ey = o.hx, o.hx
	}
	o.minX, o.maxX = o.cx-ex, o.cx+ex
	o.minY, o.maxY = o.cy-ey, o.cy+ey
}

// hit is the nearest intersection found so far.
type hit struct {
	t   float64
	n   vec3 // unit normal facing the ray
	p   vec3 // point
	mat material
	obj int // object index, −1 ground
}

// intersect returns the entry distance in (tmin, tmax) and the normal, or
// ok = false.
func (o *object) intersect(org, d vec3, tmin, tmax float64) (t float64, n vec3, ok bool) {
	switch o.kind {
	case shapeBox:
		return o.box(org, d, tmin, tmax)
	case shapeCylinder:
		return o.cylinder(org, d, tmin, tmax)
	}
	return o.sphere(org, d, tmin, tmax)
}

func (o *object) box(org, d vec3, tmin, tmax float64) (float64, vec3, bool) {
	// into the box frame: rotate by −yaw about the centre
	px, py := org.x-o.cx, org.y-o.cy
	lx := px*o.cos + py*o.sin
	ly := -px*o.sin + py*o.cos
	dx := d.x*o.cos + d.y*o.sin
	dy := -d.x*o.sin + d.y*o.cos
	t0, t1 := tmin, tmax
	axis, sign := -1, 0.0
	if !boxSlab(lx, dx, -o.hx, o.hx, 0, &t0, &t1, &axis, &sign) ||
		!boxSlab(ly, dy, -o.hy, o.hy, 1, &t0, &t1, &axis, &sign) ||
		!boxSlab(org.z, d.z, o.z0, o.z1, 2, &t0, &t1, &axis, &sign) {
		return 0, vec3{}, false
	}
	if axis < 0 { // origin inside the box
		return 0, vec3{}, false
	}
	var n vec3
	switch axis {
	case 0:
		n = vec3{sign * o.cos, sign * o.sin, 0}
	case 1:
		n = vec3{-sign * o.sin, sign * o.cos, 0}
	default:
		n = vec3{0, 0, sign}
	}
	return t0, n, true
}

func (o *object) cylinder(org, d vec3, tmin, tmax float64) (float64, vec3, bool) {
	px, py := org.x-o.cx, org.y-o.cy
	a := d.x*d.x + d.y*d.y
	r2 := o.hx * o.hx
	best := math.Inf(1)
	var n vec3
	if a > 1e-12 {
		b := px*d.x + py*d.y
		c := px*px + py*py - r2
		disc := b*b - a*c
		if disc >= 0 {
			t := (-b - math.Sqrt(disc)) / a
			if t > tmin && t < tmax {
				z := org.z + d.z*t
				if z >= o.z0 && z <= o.z1 {
					best = t
					n = vec3{(px + d.x*t) / o.hx, (py + d.y*t) / o.hx, 0}
				}
			}
		}
	}
	if d.z < 0 && org.z > o.z1 { // top cap
		t := (o.z1 - org.z) / d.z
		if t > tmin && t < tmax && t < best {
			x, y := px+d.x*t, py+d.y*t
			if x*x+y*y <= r2 {
				best = t
				n = vec3{0, 0, 1}
			}
		}
	}
	if math.IsInf(best, 1) {
		return 0, vec3{}, false
	}
	return best, n, true
}

func (o *object) sphere(org, d vec3, tmin, tmax float64) (float64, vec3, bool) {
	c := vec3{o.cx, o.cy, (o.z0 + o.z1) / 2}
	oc := org.sub(c)
	b := oc.dot(d)
	cc := oc.dot(oc) - o.hx*o.hx
	disc := b*b - cc
	if disc < 0 {
		return 0, vec3{}, false
	}
	t := -b - math.Sqrt(disc)
	if o.leafy {
		// foliage: the echo comes from somewhere in the outer shell,
		// deterministic in the entry point (cells of 0.15 m)
		p := org.along(d, t)
		t += 0.35 * o.hx * hash3(int(math.Floor(p.x/0.15)), int(math.Floor(p.y/0.15)), int(math.Floor(p.z/0.15)))
	}
	if t <= tmin || t >= tmax {
		return 0, vec3{}, false
	}
	n := org.along(d, t).sub(c).unit()
	if o.leafy {
		p := org.along(d, t)
		j := vec3{hash3(int(p.x*7), int(p.y*7), 1) - 0.5, hash3(int(p.y*7), int(p.z*7), 2) - 0.5, hash3(int(p.z*7), int(p.x*7), 3) - 0.5}
		n = n.add(j.scale(0.8)).unit()
	}
	return t, n, true
}

// hash3 maps integer coordinates to [0, 1) deterministically.
func hash3(x, y, z int) float64 {
	h := uint64(int64(x))*0x9e3779b97f4a7c15 ^ uint64(int64(y))*0xc2b2ae3d27d4eb4f ^ uint64(int64(z))*0x165667b19e3779f9
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 32
	return float64(h>>11) / (1 << 53)
}

// boxSlab intersects the ray's [t0, t1] with one slab of a box, recording
// the axis and side of entry when the entry moves.
func boxSlab(p, dir, lo, hi float64, a int, t0, t1 *float64, axis *int, sign *float64) bool {
	if dir == 0 {
		return p >= lo && p <= hi
	}
	inv := 1 / dir
	ta, tb := (lo-p)*inv, (hi-p)*inv
	s := -1.0
	if ta > tb {
		ta, tb = tb, ta
		s = 1
	}
	if ta > *t0 {
		*t0, *axis, *sign = ta, a, s
	}
	if tb < *t1 {
		*t1 = tb
	}
	return *t0 <= *t1
}
