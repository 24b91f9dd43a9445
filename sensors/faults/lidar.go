package faults

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/sensortrust/trustagent/sensors"
)

// LiDAR severity tables (Robo3D / KITTI-C, and the catalogue), indexed by
// severity 1–3 through bySev.
func beamMissing16(sev int) int        { return bySev(sev, 3, 6, 9) }
func beamMissing64(sev int) int        { return bySev(sev, 14, 24, 32) }
func crosstalkP(sev int) float64       { return bySev(sev, 0.006, 0.008, 0.010) }
func motionBlurS(sev int) float64      { return bySev(sev, 0.20, 0.25, 0.30) }
func densityLossF(sev int) float64     { return bySev(sev, 0.10, 0.20, 0.30) }
func lidarNoiseSigma(sev int) float64  { return bySev(sev, 0.04, 0.06, 0.10) }
func fogMOR(sev int) float64           { return bySev(sev, 150.0, 75, 40) }
func wetGroundWaterMM(sev int) float64 { return bySev(sev, 0.2, 1.0, 1.2) }
func repeatFrames(sev int) int         { return bySev(sev, 5, 20, 100) }

// bySev returns a, b or c for severity 1, 2 or 3 (c above 3, a below 1).
func bySev[T any](sev int, a, b, c T) T {
	switch {
	case sev <= 1:
		return a
	case sev == 2:
		return b
	}
	return c
}

// Fog and wet-ground model constants (see lidarFog and lidarWetGround).
const (
	// fogNoiseFloor is the weakest intensity (on the [0, 1] scale of a
	// Lambertian target at any range) the receiver still detects.
	fogNoiseFloor = 0.005
	// fogKappa scales the fog backscatter intensity κ·α·exp(−2αR)·E.
	fogKappa = 0.064
	// wetFilmMM is the e-folding water film thickness of the ground
	// reflectance loss, in millimetres.
	wetFilmMM = 0.5
	// wetFloor: wet ground returns weaker than this vanish.
	wetFloor = 0.02
)

func lidarEntries() []entry {
	mk := func(name string, fn func(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan) func(Config) Injector {
		return func(cfg Config) Injector {
			return &perFrame{name: name, seed: cfg.Seed, fn: func(in sensors.Frame, r *rand.Rand) sensors.Frame {
				s, ok := in.(*sensors.Scan)
				if !ok {
					return in
				}
				return fn(s, cfg.Severity, r)
			}}
		}
	}
	const robo3d = "Robo3D / KITTI-C (Kong et al., ICCV 2023)"
	return []entry{
		{Spec{"beam_missing", ClassLidar, "k distinct rings deleted, new draw per frame", [3]string{"k=3 (64-beam: 14)", "k=6 (24)", "k=9 (32)"}, robo3d}, mk("beam_missing", lidarBeamMissing)},
		{Spec{"crosstalk", ClassLidar, "fraction p of returns displaced by N(0,1)·3 m per axis", [3]string{"p=0.006", "p=0.008", "p=0.010"}, robo3d}, mk("crosstalk", lidarCrosstalk)},
		{Spec{"motion_blur", ClassLidar, "global shift N(0,s) per axis plus per-point jitter N(0,0.1s) on x,y and N(0,0.05s) on z, clipped to ±3s", [3]string{"s=0.20 m", "s=0.25 m", "s=0.30 m"}, robo3d}, mk("motion_blur", lidarMotionBlur)},
		{Spec{"cross_sensor", ClassLidar, "rings deleted by elevation rank, then every 2nd return dropped", [3]string{"every 4th ring", "every 2nd ring", "3 of 4 rings"}, robo3d}, mk("cross_sensor", func(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan { return lidarCrossSensor(s, sev, r, false) })},
		{Spec{"cross_sensor_matched", ClassLidar, "cross_sensor, then returns resampled (jitter 2 cm) until the count matches the clean scan", [3]string{"every 4th ring", "every 2nd ring", "3 of 4 rings"}, robo3d}, mk("cross_sensor_matched", func(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan { return lidarCrossSensor(s, sev, r, true) })},
		{Spec{"density_loss", ClassLidar, "uniform dropout of a fraction of the returns", [3]string{"10 %", "20 %", "30 %"}, robo3d}, mk("density_loss", lidarDensityLoss)},
		{Spec{"gaussian_noise", ClassLidar, "N(0,σ) added to x, y, z of each return", [3]string{"σ=0.04 m", "σ=0.06 m", "σ=0.10 m"}, robo3d}, mk("gaussian_noise", lidarGaussianNoise)},
		{Spec{"fog", ClassLidar, "α=ln20/MOR; intensity·exp(−2αr); returns below the noise floor lost; fog backscatter points near the sensor", [3]string{"MOR=150 m", "MOR=75 m", "MOR=40 m"}, "Hahner et al., Fog Simulation on Real LiDAR Point Clouds, ICCV 2021 (simplified)"}, mk("fog", lidarFog)},
		{Spec{"wet_ground", ClassLidar, "ground returns lose intensity exp(−w/0.5 mm); those below 0.02 vanish", [3]string{"w=0.2 mm", "w=1.0 mm", "w=1.2 mm"}, "Hahner et al., LiDAR Snowfall Simulation, CVPR 2022 (wet ground, simplified)"}, mk("wet_ground", lidarWetGround)},
		{Spec{"stuck_scan", ClassLidar, "the same scan repeated byte-identical with fresh headers", [3]string{"5 frames", "20 frames", "100 frames"}, "driver or firmware hang"}, func(cfg Config) Injector {
			return &repeat{n: repeatFrames(cfg.Severity)}
		}},
	}
}

// ringCount is the number of rings of s: s.Rings, or one more than the
// largest ring id seen.
func ringCount(s *sensors.Scan) int {
	if s.Rings > 0 {
		return s.Rings
	}
	n := 0
	for i := range s.Points {
		if int(s.Points[i].Ring)+1 > n {
			n = int(s.Points[i].Ring) + 1
		}
	}
	return n
}

// beamMissingK is the number of rings beam_missing deletes from a LiDAR with
// rings lasers: the benchmark's figures for 16 and 64 beams, proportional
// otherwise.
func beamMissingK(rings, sev int) int {
	switch rings {
	case 16:
		return beamMissing16(sev)
	case 64:
		return beamMissing64(sev)
	}
	k := int(math.Round(float64(rings) * float64(beamMissing16(sev)) / 16))
	return min(k, rings)
}

func lidarBeamMissing(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	rings := ringCount(s)
	k := beamMissingK(rings, sev)
	drop := make([]bool, rings)
	for _, ring := range r.Perm(rings)[:k] {
		drop[ring] = true
	}
	out := scanLike(s, len(s.Points))
	for _, p := range s.Points {
		if int(p.Ring) < rings && drop[p.Ring] {
			continue
		}
		out.Points = append(out.Points, p)
	}
	return out
}

// returnIndices lists the indices of points with a return.
func returnIndices(s *sensors.Scan) []int {
	idx := make([]int, 0, len(s.Points))
	for i := range s.Points {
		if s.Points[i].Range > 0 {
			idx = append(idx, i)
		}
	}
	return idx
}

// pick chooses m distinct elements of idx uniformly (partial Fisher–Yates on
// a copy) and returns them.
func pick(idx []int, m int, r *rand.Rand) []int {
	c := append([]int(nil), idx...)
	m = min(m, len(c))
	for i := 0; i < m; i++ {
		j := i + r.IntN(len(c)-i)
		c[i], c[j] = c[j], c[i]
	}
	return c[:m]
}

// setXYZ moves p to (x, y, z) and recomputes Range and Azimuth.
func setXYZ(p *sensors.Point, x, y, z float64) {
	p.X, p.Y, p.Z = float32(x), float32(y), float32(z)
	p.Range = float32(math.Sqrt(x*x + y*y + z*z))
	if p.Range == 0 {
		p.Range = math.SmallestNonzeroFloat32
	}
	az := math.Atan2(x, y)
	if az < 0 {
		az += 2 * math.Pi
	}
	if az >= 2*math.Pi {
		az = 0
	}
	p.Azimuth = float32(az)
}

func lidarCrosstalk(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	out := cloneScan(s)
	idx := returnIndices(s)
	m := int(math.Round(crosstalkP(sev) * float64(len(idx))))
	for _, i := range pick(idx, m, r) {
		p := &out.Points[i]
		setXYZ(p, float64(p.X)+3*r.NormFloat64(), float64(p.Y)+3*r.NormFloat64(), float64(p.Z)+3*r.NormFloat64())
		p.Intensity = clamp01f(p.Intensity)
	}
	return out
}

func clip(v, lim float64) float64 { return math.Max(-lim, math.Min(lim, v)) }

func clamp01f(v float32) float32 {
	if !(v > 0) {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

func lidarMotionBlur(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	sd := motionBlurS(sev)
	lim := 3 * sd
	gx, gy, gz := clip(sd*r.NormFloat64(), lim), clip(sd*r.NormFloat64(), lim), clip(sd*r.NormFloat64(), lim)
	out := cloneScan(s)
	for i := range out.Points {
		p := &out.Points[i]
		if !(p.Range > 0) {
			continue
		}
		jx := clip(0.1*sd*r.NormFloat64(), lim)
		jy := clip(0.1*sd*r.NormFloat64(), lim)
		jz := clip(0.05*sd*r.NormFloat64(), lim)
		setXYZ(p, float64(p.X)+gx+jx, float64(p.Y)+gy+jy, float64(p.Z)+gz+jz)
	}
	return out
}

// elevationRank maps ring id → rank of the ring's elevation (0 lowest).
// Without a ring table the ring ids are taken to be in elevation order.
func elevationRank(s *sensors.Scan, rings int) []int {
	order := make([]int, rings)
	for i := range order {
		order[i] = i
	}
	if len(s.RingElevations) >= rings {
		sort.SliceStable(order, func(a, b int) bool { return s.RingElevations[order[a]] < s.RingElevations[order[b]] })
	}
	rank := make([]int, rings)
	for k, ring := range order {
		rank[ring] = k
	}
	return rank
}

// crossSensorDrops reports whether a ring of elevation rank k is deleted.
func crossSensorDrops(k, sev int) bool {
	switch sev {
	case 1:
		return k%4 == 0
	case 2:
		return k%2 == 0
	}
	return k%4 != 0
}

func lidarCrossSensor(s *sensors.Scan, sev int, r *rand.Rand, matched bool) *sensors.Scan {
	rings := ringCount(s)
	rank := elevationRank(s, rings)
	out := scanLike(s, len(s.Points))
	kept := 0
	for _, p := range s.Points {
		if int(p.Ring) < rings && crossSensorDrops(rank[p.Ring], sev) {
			continue
		}
		if p.Range > 0 {
			kept++
			if kept%2 == 0 {
				continue
			}
		}
		out.Points = append(out.Points, p)
	}
	if !matched {
		return out
	}
	want := s.Returns()
	idx := returnIndices(out)
	if len(idx) == 0 {
		return out
	}
	for have := len(idx); have < want; have++ {
		p := out.Points[idx[r.IntN(len(idx))]]
		setXYZ(&p, float64(p.X)+0.02*r.NormFloat64(), float64(p.Y)+0.02*r.NormFloat64(), float64(p.Z)+0.02*r.NormFloat64())
		out.Points = append(out.Points, p)
	}
	return out
}

func lidarDensityLoss(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	idx := returnIndices(s)
	m := int(math.Round(densityLossF(sev) * float64(len(idx))))
	drop := make([]bool, len(s.Points))
	for _, i := range pick(idx, m, r) {
		drop[i] = true
	}
	out := scanLike(s, len(s.Points)-m)
	for i, p := range s.Points {
		if !drop[i] {
			out.Points = append(out.Points, p)
		}
	}
	return out
}

func lidarGaussianNoise(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	sd := lidarNoiseSigma(sev)
	out := cloneScan(s)
	for i := range out.Points {
		p := &out.Points[i]
		if !(p.Range > 0) {
			continue
		}
		setXYZ(p, float64(p.X)+sd*r.NormFloat64(), float64(p.Y)+sd*r.NormFloat64(), float64(p.Z)+sd*r.NormFloat64())
	}
	return out
}

// lidarFog follows the structure of Hahner et al. (ICCV 2021) in closed
// form: the extinction coefficient is α = ln(20)/MOR (Koschmieder, 5 %
// contrast threshold); a hard target at range r returns intensity
// i·exp(−2αr) (two-way Beer–Lambert); the fog itself returns a soft-target
// echo at a near range R_s = 0.8 m + 1.5 m·Exp(1) with speckle intensity
// κ·α·exp(−2αR_s)·Exp(1). Each ray keeps the stronger of the two echoes when
// it is above the noise floor and is lost otherwise. Rays with no return
// (no-return cells) can gain a backscatter echo when the scan keeps them
// and knows its ring elevations.
func lidarFog(s *sensors.Scan, sev int, r *rand.Rand) *sensors.Scan {
	alpha := math.Log(20) / fogMOR(sev)
	out := scanLike(s, len(s.Points))
	for _, p := range s.Points {
		hard := 0.0
		var ux, uy, uz float64
		if p.Range > 0 {
			hard = float64(p.Intensity) * math.Exp(-2*alpha*float64(p.Range))
			ux, uy, uz = float64(p.X)/float64(p.Range), float64(p.Y)/float64(p.Range), float64(p.Z)/float64(p.Range)
		} else if int(p.Ring) < len(s.RingElevations) {
			el := float64(s.RingElevations[p.Ring])
			az := float64(p.Azimuth)
			ux, uy, uz = math.Cos(el)*math.Sin(az), math.Cos(el)*math.Cos(az), math.Sin(el)
		} else {
			out.Points = append(out.Points, p) // no direction known: leave the cell
			continue
		}
		rs := 0.8 + 1.5*r.ExpFloat64()
		soft := fogKappa * alpha * math.Exp(-2*alpha*rs) * r.ExpFloat64()
		q := p
		switch {
		case soft > hard && soft >= fogNoiseFloor:
			setXYZ(&q, ux*rs, uy*rs, uz*rs)
			q.Intensity = float32(math.Min(soft, 1))
		case hard >= fogNoiseFloor:
			q.Intensity = float32(hard)
		case p.Range > 0:
			continue // lost below the noise floor
		}
		out.Points = append(out.Points, q)
	}
	return out
}

// groundHeight estimates the ground's z in the sensor frame: the 5th
// percentile of z over returns between 2 m and 30 m horizontal range.
func groundHeight(s *sensors.Scan) (float64, bool) {
	var zs []float64
	for _, p := range s.Points {
		if !(p.Range > 0) {
			continue
		}
		h := math.Hypot(float64(p.X), float64(p.Y))
		if h >= 2 && h <= 30 {
			zs = append(zs, float64(p.Z))
		}
	}
	if len(zs) < 20 {
		return 0, false
	}
	sort.Float64s(zs)
	return zs[len(zs)/20], true
}

// lidarWetGround: a water film of thickness w on the ground reflects the
// beam specularly away from the sensor, so ground returns keep a fraction
// exp(−w/0.5 mm) of their intensity and those below 0.02 vanish. Ground is
// what lies within 0.25 m above the estimated ground height.
func lidarWetGround(s *sensors.Scan, sev int, _ *rand.Rand) *sensors.Scan {
	zg, ok := groundHeight(s)
	if !ok {
		return cloneScan(s)
	}
	factor := math.Exp(-wetGroundWaterMM(sev) / wetFilmMM)
	out := scanLike(s, len(s.Points))
	for _, p := range s.Points {
		if p.Range > 0 && float64(p.Z) < zg+0.25 {
			i := float64(p.Intensity) * factor
			if i < wetFloor {
				continue
			}
			p.Intensity = float32(i)
		}
		out.Points = append(out.Points, p)
	}
	return out
}
