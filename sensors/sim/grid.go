package sim

import "math"

// gridSpec is a square uniform grid over the ground, centred at the origin.
type gridSpec struct {
	origin float64 // x and y of the lower-left corner
	cell   float64 // side of a cell, metres
	n      int     // cells per side
}

func newGridSpec(side, cell float64) gridSpec {
	n := int(math.Ceil(side / cell))
	return gridSpec{origin: -float64(n) * cell / 2, cell: cell, n: n}
}

// scene is the world at one instant with its objects binned into cells
// (compressed rows: cell c holds items[start[c]:start[c+1]]).
type scene struct {
	g     gridSpec
	objs  []object
	start []int32
	items []int32
	ztop  []float64 // per cell: the highest point of its objects
	zmax  float64
}

func newScene(g gridSpec, objs []object, zmax float64) *scene {
	s := &scene{g: g, objs: objs, start: make([]int32, g.n*g.n+1), ztop: make([]float64, g.n*g.n), zmax: zmax}
	span := func(o *object) (x0, y0, x1, y1 int, ok bool) {
		x0, y0 = g.cellOf(o.minX), g.cellOf(o.minY)
		x1, y1 = g.cellOf(o.maxX), g.cellOf(o.maxY)
		if x1 < 0 || y1 < 0 || x0 >= g.n || y0 >= g.n {
			return 0, 0, 0, 0, false
		}
		return max(x0, 0), max(y0, 0), min(x1, g.n-1), min(y1, g.n-1), true
	}
	for i := range objs {
		if x0, y0, x1, y1, ok := span(&objs[i]); ok {
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					s.start[y*g.n+x+1]++
				}
			}
		}
	}
	for c := 1; c < len(s.start); c++ {
		s.start[c] += s.start[c-1]
	}
	s.items = make([]int32, s.start[len(s.start)-1])
	fill := append([]int32(nil), s.start[:len(s.start)-1]...)
	for i := range objs {
		if x0, y0, x1, y1, ok := span(&objs[i]); ok {
			for y := y0; y <= y1; y++ {
				for x := x0; x <= x1; x++ {
					c := y*g.n + x
					s.ztop[c] = max(s.ztop[c], objs[i].z1)
					s.items[fill[c]] = int32(i)
					fill[c]++
				}
			}
		}
	}
	return s
}

func (g gridSpec) cellOf(v float64) int { return int(math.Floor((v - g.origin) / g.cell)) }

// cast finds the first surface along org + t·d (d a unit vector) with
// t ∈ (0, tmax]: objects by a 2-D DDA over the grid, then the ground plane
// z = 0. ok is false when nothing is hit.
func (s *scene) cast(org, d vec3, tmax float64) (h hit, ok bool) {
	h.t = tmax
	h.obj = -2
	if d.z < 0 {
		if tg := -org.z / d.z; tg < h.t {
			h.t, h.obj, h.n, h.mat = tg, -1, vec3{0, 0, 1}, matGround()
		}
	} else if d.z > 0 {
		if org.z >= s.zmax {
			return s.finish(h, org, d)
		}
		tmax = min(tmax, (s.zmax-org.z)/d.z)
	}
	tmax = min(tmax, h.t)
	g := s.g
	// clip [0, tmax] to the grid square
	t0, t1 := 0.0, tmax
	lo, hi := g.origin, g.origin+float64(g.n)*g.cell
	if !clipSlab(org.x, d.x, lo, hi, &t0, &t1) || !clipSlab(org.y, d.y, lo, hi, &t0, &t1) {
		return s.finish(h, org, d)
	}
	px, py := org.x+d.x*t0, org.y+d.y*t0
	ix := min(max(g.cellOf(px), 0), g.n-1)
	iy := min(max(g.cellOf(py), 0), g.n-1)
	stepX, stepY := 1, 1
	tNextX, tNextY := math.Inf(1), math.Inf(1)
	tDeltaX, tDeltaY := math.Inf(1), math.Inf(1)
	if d.x > 0 {
		tNextX = (g.origin + float64(ix+1)*g.cell - org.x) / d.x
		tDeltaX = g.cell / d.x
	} else if d.x < 0 {
		stepX = -1
		tNextX = (g.origin + float64(ix)*g.cell - org.x) / d.x
		tDeltaX = -g.cell / d.x
	}
	if d.y > 0 {
		tNextY = (g.origin + float64(iy+1)*g.cell - org.y) / d.y
		tDeltaY = g.cell / d.y
	} else if d.y < 0 {
		stepY = -1
		tNextY = (g.origin + float64(iy)*g.cell - org.y) / d.y
		tDeltaY = -g.cell / d.y
	}
	const tmin = 1e-4
	tEnter := t0
	for {
		c := iy*g.n + ix
		tExit := min(tNextX, tNextY, t1)
		// the ray's lowest point in this cell is at entry or exit; above
		// the cell's tallest object nothing here can be hit
		if zlow := org.z + min(d.z*tEnter, d.z*tExit); zlow <= s.ztop[c] {
			for _, oi := range s.items[s.start[c]:s.start[c+1]] {
				o := &s.objs[oi]
				if t, n, hitOK := o.intersect(org, d, tmin, h.t); hitOK {
					h.t, h.n, h.mat, h.obj = t, n, o.mat, int(oi)
				}
			}
		}
		tEnter = tExit
		if h.t <= tExit || tExit >= t1 {
			break
		}
		if tNextX < tNextY {
			ix += stepX
			tNextX += tDeltaX
			if ix < 0 || ix >= g.n {
				break
			}
		} else {
			iy += stepY
			tNextY += tDeltaY
			if iy < 0 || iy >= g.n {
				break
			}
		}
	}
	return s.finish(h, org, d)
}

func (s *scene) finish(h hit, org, d vec3) (hit, bool) {
	if h.obj == -2 {
		return h, false
	}
	h.p = org.along(d, h.t)
	return h, true
}

// clipSlab narrows [t0, t1] to where p + t·dir lies in [lo, hi); false when
// the interval becomes empty.
func clipSlab(p, dir, lo, hi float64, t0, t1 *float64) bool {
	if dir == 0 {
		return p >= lo && p < hi
	}
	ta, tb := (lo-p)/dir, (hi-p)/dir
	if ta > tb {
		ta, tb = tb, ta
	}
	*t0, *t1 = max(*t0, ta), min(*t1, tb)
	return *t0 <= *t1
}
