package faults

import (
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Stream severity tables (catalogue; ROS diagnostic_updater semantics).
func jitterK(sev int) float64 { return bySev(sev, 0.05, 0.2, 0.5) }
func dropP(sev int) float64   { return bySev(sev, 0.05, 0.2, 0.5) }
func dropBurst(sev int) int   { return bySev(sev, 3, 10, 30) }
func latencyD(sev int) time.Duration {
	return bySev(sev, 50*time.Millisecond, 200*time.Millisecond, time.Second)
}
func staleFrames(sev int) int { return bySev(sev, 1, 5, 20) }
func swapP(sev int) float64   { return bySev(sev, 0.01, 0.05, 0.2) }
func clockStep(sev int) time.Duration {
	return bySev(sev, 2*time.Second, 6*time.Second, -1500*time.Millisecond)
}
func rateFactor(sev int) float64 { return bySev(sev, 0.95, 0.85, 0.5) }

func streamEntries() []entry {
	const diag = "ROS diagnostic_updater (FrequencyStatus, TimeStampStatus)"
	return []entry{
		{Spec{"timestamp_jitter", ClassStream, "stamp + N(0,(kT)²), T the sensor period", [3]string{"k=0.05", "k=0.2", "k=0.5"}, diag}, func(c Config) Injector {
			return &jitter{cfg: c}
		}},
		{Spec{"frame_drops", ClassStream, "each frame lost with probability p", [3]string{"p=0.05", "p=0.2", "p=0.5"}, diag}, func(c Config) Injector {
			return &drops{cfg: c, p: dropP(c.Severity)}
		}},
		{Spec{"frame_drops_burst", ClassStream, "bursts of L lost frames, separated by L to 4L delivered ones", [3]string{"L=3", "L=10", "L=30"}, diag}, func(c Config) Injector {
			return &drops{cfg: c, burst: dropBurst(c.Severity)}
		}},
		{Spec{"latency", ClassStream, "stamps lag delivery: Stamp − d", [3]string{"d=50 ms", "d=200 ms", "d=1000 ms"}, diag}, func(c Config) Injector {
			return &shift{d: -latencyD(c.Severity)}
		}},
		{Spec{"stale", ClassStream, "the last frame re-sent with the new frame's header for n frames", [3]string{"n=1", "n=5", "n=20"}, diag}, func(c Config) Injector {
			return &repeat{n: staleFrames(c.Severity)}
		}},
		{Spec{"out_of_order", ClassStream, "adjacent frames swapped with probability p", [3]string{"p=0.01", "p=0.05", "p=0.2"}, diag}, func(c Config) Injector {
			return &swap{cfg: c}
		}},
		{Spec{"clock_step", ClassStream, "stamps jump by a step for the duration of the fault", [3]string{"+2 s", "+6 s", "−1.5 s"}, diag}, func(c Config) Injector {
			return &shift{d: clockStep(c.Severity)}
		}},
		{Spec{"rate_drift", ClassStream, "delivered rate × f (frames dropped evenly, stamps kept)", [3]string{"f=0.95", "f=0.85", "f=0.5"}, diag}, func(c Config) Injector {
			return &rate{f: rateFactor(c.Severity)}
		}},
		{Spec{"disconnect", ClassStream, "the source delivers nothing (cable pulled, dead UDP stream)", [3]string{"silent", "silent", "silent"}, diag}, func(Config) Injector {
			return disconnect{}
		}},
	}
}

// jitter adds N(0, (kT)²) to each stamp. T is Config.Period or, when that
// is 0, the smallest positive stamp step seen so far (the first frame passes
// unchanged until a step is known).
type jitter struct {
	cfg  Config
	n    uint64
	last time.Time
	est  time.Duration
}

func (j *jitter) Flush() []sensors.Frame { return nil }

func (j *jitter) Inject(in sensors.Frame) []sensors.Frame {
	stamp := in.Head().Stamp
	if !j.last.IsZero() {
		if d := stamp.Sub(j.last); d > 0 && (j.est == 0 || d < j.est) {
			j.est = d
		}
	}
	j.last = stamp
	period := j.cfg.Period
	if period == 0 {
		period = j.est
	}
	r := frameRand(j.cfg.Seed, "timestamp_jitter", j.n)
	j.n++
	if period == 0 {
		return []sensors.Frame{in}
	}
	h := *in.Head()
	h.Stamp = h.Stamp.Add(time.Duration(jitterK(j.cfg.Severity) * float64(period) * r.NormFloat64()))
	return []sensors.Frame{withHeader(in, h)}
}

// drops loses frames: Bernoulli(p) when burst is 0, else bursts of burst
// frames separated by gaps of burst..4·burst delivered frames.
type drops struct {
	cfg   Config
	p     float64
	burst int
	n     uint64
	gap   int // delivered frames left before the next burst
	lost  int // frames left in the current burst
}

func (d *drops) Flush() []sensors.Frame { return nil }

func (d *drops) Inject(in sensors.Frame) []sensors.Frame {
	r := frameRand(d.cfg.Seed, "frame_drops", d.n)
	d.n++
	if d.burst == 0 {
		if r.Float64() < d.p {
			return nil
		}
		return []sensors.Frame{in}
	}
	if d.lost > 0 {
		d.lost--
		if d.lost == 0 {
			d.gap = d.burst + r.IntN(3*d.burst+1)
		}
		return nil
	}
	if d.gap > 0 {
		d.gap--
		return []sensors.Frame{in}
	}
	d.lost = d.burst - 1
	if d.lost == 0 {
		d.gap = d.burst + r.IntN(3*d.burst+1)
	}
	return nil
}

// shift moves every stamp by d (latency: negative, clock_step: ±).
type shift struct{ d time.Duration }

func (s *shift) Flush() []sensors.Frame { return nil }

func (s *shift) Inject(in sensors.Frame) []sensors.Frame {
	h := *in.Head()
	h.Stamp = h.Stamp.Add(s.d)
	return []sensors.Frame{withHeader(in, h)}
}

// swap holds a frame with probability p and delivers it after the next one.
type swap struct {
	cfg  Config
	n    uint64
	held sensors.Frame
}

func (s *swap) Flush() []sensors.Frame {
	if s.held == nil {
		return nil
	}
	h := s.held
	s.held = nil
	return []sensors.Frame{h}
}

func (s *swap) Inject(in sensors.Frame) []sensors.Frame {
	if s.held != nil {
		h := s.held
		s.held = nil
		return []sensors.Frame{in, h}
	}
	r := frameRand(s.cfg.Seed, "out_of_order", s.n)
	s.n++
	if r.Float64() < swapP(s.cfg.Severity) {
		s.held = in
		return nil
	}
	return []sensors.Frame{in}
}

// rate delivers a fraction f of the frames, evenly: a frame goes out each
// time the accumulated credit reaches one.
type rate struct {
	f      float64
	credit float64
}

func (r *rate) Flush() []sensors.Frame { return nil }

func (r *rate) Inject(in sensors.Frame) []sensors.Frame {
	r.credit += r.f
	if r.credit >= 1-1e-9 {
		r.credit--
		return []sensors.Frame{in}
	}
	return nil
}

type disconnect struct{}

func (disconnect) Inject(sensors.Frame) []sensors.Frame { return nil }
func (disconnect) Flush() []sensors.Frame               { return nil }

// Apply runs one fault over frames in order, as a fresh injector would on a
// stream, and returns what it delivers (held frames flushed at the end).
// The input frames are not modified.
func Apply(kind sensors.Kind, cfg Config, frames []sensors.Frame) ([]sensors.Frame, error) {
	inj, err := New(kind, cfg)
	if err != nil {
		return nil, err
	}
	var out []sensors.Frame
	for _, f := range frames {
		out = append(out, inj.Inject(f)...)
	}
	return append(out, inj.Flush()...), nil
}
