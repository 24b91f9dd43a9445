package sim

import (
	"math"
	"math/rand/v2"
	"sort"
)

// path is a closed Catmull–Rom spline through jittered points on a circle,
// sampled densely and parametrised by arc length.
type path struct {
	xs, ys []float64 // samples
	cum    []float64 // arc length at each sample; cum[len-1] = length
	length float64
}

const pathSamples = 4096

func newPath(size float64, r *rand.Rand) path {
	const waypoints = 8
	var wx, wy [waypoints]float64
	for i := range wx {
		a := 2 * math.Pi * float64(i) / waypoints
		rad := size * (0.26 + 0.08*r.Float64())
		wx[i], wy[i] = rad*math.Cos(a), rad*math.Sin(a)
	}
	p := path{xs: make([]float64, pathSamples+1), ys: make([]float64, pathSamples+1), cum: make([]float64, pathSamples+1)}
	for k := 0; k <= pathSamples; k++ {
		u := float64(k) / pathSamples * waypoints
		i := int(u) % waypoints
		f := u - math.Floor(u)
		i0, i2, i3 := (i+waypoints-1)%waypoints, (i+1)%waypoints, (i+2)%waypoints
		p.xs[k] = catmull(wx[i0], wx[i], wx[i2], wx[i3], f)
		p.ys[k] = catmull(wy[i0], wy[i], wy[i2], wy[i3], f)
		if k > 0 {
			p.cum[k] = p.cum[k-1] + math.Hypot(p.xs[k]-p.xs[k-1], p.ys[k]-p.ys[k-1])
		}
	}
	p.length = p.cum[pathSamples]
	return p
}

func catmull(p0, p1, p2, p3, t float64) float64 {
	t2, t3 := t*t, t*t*t
	return 0.5 * (2*p1 + (p2-p0)*t + (2*p0-5*p1+4*p2-p3)*t2 + (3*p1-p0-3*p2+p3)*t3)
}

// at returns the position and unit tangent at arc length s ∈ [0, length).
func (p *path) at(s float64) (x, y, tx, ty float64) {
	s = math.Mod(s, p.length)
	if s < 0 {
		s += p.length
	}
	k := sort.SearchFloat64s(p.cum, s)
	if k == 0 {
		k = 1
	}
	if k > pathSamples {
		k = pathSamples
	}
	seg := p.cum[k] - p.cum[k-1]
	f := 0.0
	if seg > 0 {
		f = (s - p.cum[k-1]) / seg
	}
	x = p.xs[k-1] + (p.xs[k]-p.xs[k-1])*f
	y = p.ys[k-1] + (p.ys[k]-p.ys[k-1])*f
	dx, dy := p.xs[k]-p.xs[k-1], p.ys[k]-p.ys[k-1]
	n := math.Hypot(dx, dy)
	if n == 0 {
		return x, y, 1, 0
	}
	return x, y, dx / n, dy / n
}

// distance is the distance from (x, y) to the path (to within the sample
// spacing).
func (p *path) distance(x, y float64) float64 {
	best := math.Inf(1)
	for k := 0; k < pathSamples; k += 2 {
		best = math.Min(best, math.Hypot(x-p.xs[k], y-p.ys[k]))
	}
	return best
}
