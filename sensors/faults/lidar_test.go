package faults

import (
	"math"
	"testing"

	"github.com/sensortrust/trustagent/sensors"
)

func ringsPresent(s *sensors.Scan) map[uint16]bool {
	m := map[uint16]bool{}
	for _, p := range s.Points {
		m[p.Ring] = true
	}
	return m
}

// synthScan is an organised scan of rings × cols returns on a 10 m sphere.
func synthScan(rings, cols int) *sensors.Scan {
	s := &sensors.Scan{Rings: rings}
	for r := 0; r < rings; r++ {
		el := -0.4 + 0.8*float64(r)/float64(rings-1)
		s.RingElevations = append(s.RingElevations, float32(el))
	}
	for c := 0; c < cols; c++ {
		az := 2 * math.Pi * float64(c) / float64(cols)
		for r := 0; r < rings; r++ {
			el := float64(s.RingElevations[r])
			p := sensors.Point{Ring: uint16(r), Intensity: 0.5, Range: 10, Azimuth: float32(az)}
			p.X, p.Y, p.Z = float32(10*math.Cos(el)*math.Sin(az)), float32(10*math.Cos(el)*math.Cos(az)), float32(10*math.Sin(el))
			s.Points = append(s.Points, p)
		}
	}
	return s
}

func TestBeamMissingRemovesExactlyK(t *testing.T) {
	scan := testFrames(t).scans[0]
	for sev, k := range map[int]int{1: 3, 2: 6, 3: 9} {
		inj := mustNew(t, sensors.KindLidar, "beam_missing", sev, 4)
		var draws []map[uint16]bool
		for f := 0; f < 4; f++ {
			out := inj.Inject(scan)[0].(*sensors.Scan)
			got := ringsPresent(out)
			if len(got) != 16-k {
				t.Fatalf("severity %d: %d rings left, want %d", sev, len(got), 16-k)
			}
			// every point of a kept ring is still there
			n := 0
			for _, p := range scan.Points {
				if got[p.Ring] {
					n++
				}
			}
			if n != len(out.Points) {
				t.Fatalf("severity %d: %d points kept, want %d", sev, len(out.Points), n)
			}
			draws = append(draws, got)
		}
		same := true
		for r := range draws[0] {
			if !draws[1][r] {
				same = false
			}
		}
		if same {
			t.Errorf("severity %d: same rings deleted in consecutive frames", sev)
		}
	}
	s64 := synthScan(64, 50)
	for sev, k := range map[int]int{1: 14, 2: 24, 3: 32} {
		out := one(t, sensors.KindLidar, "beam_missing", sev, 1, s64).(*sensors.Scan)
		if got := len(ringsPresent(out)); got != 64-k {
			t.Errorf("64 beams severity %d: %d rings left, want %d", sev, got, 64-k)
		}
	}
}

// displaced counts points whose coordinates changed (same order in and out).
func displaced(in, out *sensors.Scan) (n int, maxIntensity float32) {
	for i := range in.Points {
		a, b := in.Points[i], out.Points[i]
		if a.X != b.X || a.Y != b.Y || a.Z != b.Z {
			n++
		}
		maxIntensity = max(maxIntensity, b.Intensity)
	}
	return n, maxIntensity
}

func TestCrosstalkFraction(t *testing.T) {
	scan := testFrames(t).scans[0]
	n := scan.Returns()
	for sev, p := range map[int]float64{1: 0.006, 2: 0.008, 3: 0.010} {
		out := one(t, sensors.KindLidar, "crosstalk", sev, 9, scan).(*sensors.Scan)
		got, maxI := displaced(scan, out)
		if want := int(math.Round(p * float64(n))); got != want {
			t.Errorf("severity %d: %d displaced, want %d (p=%v of %d)", sev, got, want, p, n)
		}
		if maxI > 1 {
			t.Errorf("intensity %v > 1", maxI)
		}
	}
	// displacement scale: N(0,1)·3 m per axis
	var dx []float64
	for seed := uint64(0); seed < 20; seed++ {
		out := one(t, sensors.KindLidar, "crosstalk", 3, seed, scan).(*sensors.Scan)
		for i := range scan.Points {
			if d := float64(out.Points[i].X - scan.Points[i].X); d != 0 {
				dx = append(dx, d)
			}
		}
	}
	if _, sd := meanStd(dx); math.Abs(sd-3) > 0.25 {
		t.Errorf("crosstalk x displacement σ = %.2f m over %d points, want 3", sd, len(dx))
	}
}

func TestMotionBlurStatistics(t *testing.T) {
	scan := testFrames(t).small[0]
	for sev, s := range map[int]float64{1: 0.20, 2: 0.25, 3: 0.30} {
		var gx []float64
		for seed := uint64(0); seed < 400; seed++ {
			out := one(t, sensors.KindLidar, "motion_blur", sev, seed, scan).(*sensors.Scan)
			var dx, dz []float64
			for i, p := range scan.Points {
				if p.Range > 0 {
					dx = append(dx, float64(out.Points[i].X-p.X))
					dz = append(dz, float64(out.Points[i].Z-p.Z))
				}
			}
			mx, sx := meanStd(dx)
			_, sz := meanStd(dz)
			gx = append(gx, mx)
			if seed == 0 {
				if math.Abs(sx-0.1*s) > 0.005*s || math.Abs(sz-0.05*s) > 0.0025*s {
					t.Errorf("severity %d: jitter σx=%.4f σz=%.4f, want %.4f and %.4f", sev, sx, sz, 0.1*s, 0.05*s)
				}
			}
			for i := range dx {
				if math.Abs(dx[i]) > 6*s+1e-4 {
					t.Fatalf("severity %d: displacement %v beyond the ±3s clips", sev, dx[i])
				}
			}
		}
		if _, sg := meanStd(gx); math.Abs(sg-s) > 0.1*s {
			t.Errorf("severity %d: global shift σ = %.3f over 400 frames, want %.2f", sev, sg, s)
		}
	}
}

func TestCrossSensor(t *testing.T) {
	scan := testFrames(t).scans[0]
	// elevation rank of VLP-16 laser id: −15° is rank 0 (id 0), −13° rank 1 (id 2) …
	rank := elevationRank(scan, 16)
	for sev := 1; sev <= 3; sev++ {
		out := one(t, sensors.KindLidar, "cross_sensor", sev, 1, scan).(*sensors.Scan)
		got := ringsPresent(out)
		keptReturns := 0
		for _, p := range scan.Points {
			if !crossSensorDrops(rank[p.Ring], sev) && p.Range > 0 {
				keptReturns++
			}
		}
		for ring := uint16(0); ring < 16; ring++ {
			if got[ring] == crossSensorDrops(rank[ring], sev) {
				t.Errorf("severity %d: ring %d (rank %d) present=%v", sev, ring, rank[ring], got[ring])
			}
		}
		wantRings := map[int]int{1: 12, 2: 8, 3: 4}[sev]
		if len(got) != wantRings {
			t.Errorf("severity %d: %d rings, want %d", sev, len(got), wantRings)
		}
		if r := out.Returns(); r != (keptReturns+1)/2 {
			t.Errorf("severity %d: %d returns, want half of %d", sev, r, keptReturns)
		}
		m := one(t, sensors.KindLidar, "cross_sensor_matched", sev, 1, scan).(*sensors.Scan)
		if m.Returns() != scan.Returns() {
			t.Errorf("matched severity %d: %d returns, want %d", sev, m.Returns(), scan.Returns())
		}
	}
}

func TestDensityLoss(t *testing.T) {
	scan := testFrames(t).scans[0]
	n := scan.Returns()
	for sev, f := range map[int]float64{1: 0.1, 2: 0.2, 3: 0.3} {
		out := one(t, sensors.KindLidar, "density_loss", sev, 2, scan).(*sensors.Scan)
		if want := n - int(math.Round(f*float64(n))); out.Returns() != want {
			t.Errorf("severity %d: %d returns, want %d", sev, out.Returns(), want)
		}
		if len(scan.Points)-len(out.Points) != n-out.Returns() {
			t.Errorf("severity %d: no-return cells were dropped too", sev)
		}
	}
}

func TestLidarGaussianNoise(t *testing.T) {
	scan := testFrames(t).scans[0]
	for sev, sd := range map[int]float64{1: 0.04, 2: 0.06, 3: 0.10} {
		out := one(t, sensors.KindLidar, "gaussian_noise", sev, 2, scan).(*sensors.Scan)
		var dy []float64
		for i, p := range scan.Points {
			if p.Range > 0 {
				dy = append(dy, float64(out.Points[i].Y-p.Y))
			}
		}
		if m, s := meanStd(dy); math.Abs(s-sd) > 0.03*sd || math.Abs(m) > 0.05*sd {
			t.Errorf("severity %d: noise mean %.4f σ %.4f, want 0 and %.2f", sev, m, s, sd)
		}
	}
}

func TestFog(t *testing.T) {
	scan := testFrames(t).scans[0]
	far := func(s *sensors.Scan, r float32) int {
		n := 0
		for _, p := range s.Points {
			if p.Range > r {
				n++
			}
		}
		return n
	}
	prevFar, prevNear := far(scan, 30), 0
	for sev := 1; sev <= 3; sev++ {
		mor := fogMOR(sev)
		alpha := math.Log(20) / mor
		out := one(t, sensors.KindLidar, "fog", sev, 5, scan).(*sensors.Scan)
		// hard returns kept have intensity·exp(−2αr), unchanged position
		checked := 0
		byCell := map[[2]int]sensors.Point{}
		for _, p := range scan.Points {
			byCell[[2]int{int(p.Ring), int(math.Round(float64(p.Azimuth) * 1e4))}] = p
		}
		near := 0
		for _, q := range out.Points {
			orig := byCell[[2]int{int(q.Ring), int(math.Round(float64(q.Azimuth) * 1e4))}]
			if q.Range > 0 && q.Range == orig.Range {
				want := float64(orig.Intensity) * math.Exp(-2*alpha*float64(orig.Range))
				if math.Abs(float64(q.Intensity)-want) > 1e-6 {
					t.Fatalf("severity %d: kept return intensity %v, want %v", sev, q.Intensity, want)
				}
				if want < fogNoiseFloor {
					t.Fatalf("severity %d: return below the noise floor kept", sev)
				}
				checked++
			} else if q.Range > 0 {
				near++
				if q.Range > 30 || q.Intensity > 0.2 {
					t.Fatalf("severity %d: backscatter point at %v m intensity %v", sev, q.Range, q.Intensity)
				}
			}
		}
		f := far(out, 30)
		t.Logf("MOR %v m (clean %d returns): %d hard returns kept, %d beyond 30 m (clean %d), %d backscatter", mor, scan.Returns(), checked, f, far(scan, 30), near)
		if f >= prevFar || near <= prevNear || checked == 0 {
			t.Errorf("severity %d: far returns %d (was %d), backscatter %d (was %d): want fewer far, more near", sev, f, prevFar, near, prevNear)
		}
		prevFar, prevNear = f, near
	}
}

func TestWetGround(t *testing.T) {
	scan := testFrames(t).scans[0]
	zg, ok := groundHeight(scan)
	if !ok || math.Abs(zg+1.8) > 0.1 {
		t.Fatalf("ground estimate %v (ok %v), want −1.8", zg, ok)
	}
	prev := scan.Returns()
	for sev := 1; sev <= 3; sev++ {
		out := one(t, sensors.KindLidar, "wet_ground", sev, 1, scan).(*sensors.Scan)
		factor := math.Exp(-wetGroundWaterMM(sev) / 0.5)
		j := 0
		for _, p := range scan.Points {
			q := out.Points[min(j, len(out.Points)-1)]
			isGround := p.Range > 0 && float64(p.Z) < zg+0.25
			switch {
			case isGround && float64(p.Intensity)*factor < wetFloor:
				continue // vanished
			case isGround:
				if math.Abs(float64(q.Intensity)-float64(p.Intensity)*factor) > 1e-6 {
					t.Fatalf("severity %d: ground intensity %v, want %v", sev, q.Intensity, float64(p.Intensity)*factor)
				}
			default:
				if q != p {
					t.Fatalf("severity %d: non-ground point changed", sev)
				}
			}
			j++
		}
		if j != len(out.Points) || out.Returns() > prev {
			t.Errorf("severity %d: %d points matched of %d; returns %d (previous severity %d)", sev, j, len(out.Points), out.Returns(), prev)
		}
		prev = out.Returns()
	}
}

func TestStuckScanRepeatsBytes(t *testing.T) {
	d := testFrames(t)
	for sev, n := range map[int]int{1: 5, 2: 20} {
		inj := mustNew(t, sensors.KindLidar, "stuck_scan", sev, 1)
		var out []sensors.Frame
		for i := 0; i < n+2; i++ {
			in := cloneScan(d.scans[i%3])
			in.Points[0].X += float32(i) // every input distinct
			in.Seq = uint64(100 + i)
			in.Stamp = in.Stamp.Add(timeStep(i))
			out = append(out, inj.Inject(in)...)
		}
		first := payloadHash(out[0])
		for i := 1; i <= n; i++ {
			if payloadHash(out[i]) != first {
				t.Fatalf("severity %d: frame %d is not a byte-identical repeat", sev, i)
			}
			if out[i].Head().Seq != uint64(100+i) || out[i].Head().Stamp.Equal(out[0].Head().Stamp) {
				t.Fatalf("severity %d: repeat %d has a stale header", sev, i)
			}
		}
		if payloadHash(out[n+1]) == first {
			t.Errorf("severity %d: still stuck after %d repeats", sev, n)
		}
	}
}
