package likelihood

// Benchmarks of the default-size models (BENCH_FULL=1 trains them longer;
// the cost does not depend much on training beyond the ReLU sparsity of the
// decoder hidden layer). Run:
//
//	go test -run XXX -bench . -benchtime 200x ./likelihood/

import (
	"context"
	"sync"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/internal/cputime"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/sim"
)

type benchSet struct {
	m      *Model
	frames []sensors.Frame
}

var benchModels = sync.OnceValues(func() (map[sensors.Kind]benchSet, error) {
	w, err := sim.NewWorld(sim.WorldOptions{})
	if err != nil {
		return nil, err
	}
	l, err := sim.NewLidar(w, sim.LidarOptions{})
	if err != nil {
		return nil, err
	}
	c, err := sim.NewCamera(w, sim.CameraOptions{})
	if err != nil {
		return nil, err
	}
	out := map[sensors.Kind]benchSet{}
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		var fr []sensors.Frame
		for i := 0; i < 60; i++ {
			if k == sensors.KindLidar {
				fr = append(fr, l.Scan(uint64(i)))
			} else {
				fr = append(fr, c.Image(uint64(i)))
			}
		}
		m, err := Train(context.Background(), fr, TrainOptions{Epochs: 15})
		if err != nil {
			return nil, err
		}
		out[k] = benchSet{m, fr}
	}
	return out, nil
})

func benchSetFor(b *testing.B, k sensors.Kind) benchSet {
	b.Helper()
	ms, err := benchModels()
	if err != nil {
		b.Fatal(err)
	}
	return ms[k]
}

func benchScorer(b *testing.B, k sensors.Kind, mk func(m *Model) Scorer) {
	s := benchSetFor(b, k)
	sc := mk(s.m)
	b.ReportAllocs()
	b.ReportMetric(float64(s.m.Info().MACsPerScore), "MACs/score")
	i := 0
	cputime.Report(b, func() {
		if _, err := sc.Score(s.frames[i%len(s.frames)]); err != nil {
			b.Fatal(err)
		}
		i++
	})
}

func BenchmarkFixedScoreLidar(b *testing.B) {
	benchScorer(b, sensors.KindLidar, func(m *Model) Scorer { return m.NewFixedScorer() })
}
func BenchmarkFixedScoreCamera(b *testing.B) {
	benchScorer(b, sensors.KindCamera, func(m *Model) Scorer { return m.NewFixedScorer() })
}
func BenchmarkFloatApproxLRLidar(b *testing.B) {
	benchScorer(b, sensors.KindLidar, func(m *Model) Scorer { return m.NewApproxLRScorer() })
}
func BenchmarkFloatApproxLRCamera(b *testing.B) {
	benchScorer(b, sensors.KindCamera, func(m *Model) Scorer { return m.NewApproxLRScorer() })
}
func BenchmarkNLLLidar(b *testing.B) {
	benchScorer(b, sensors.KindLidar, func(m *Model) Scorer { return m.NewNLLScorer() })
}
func BenchmarkReconLidar(b *testing.B) {
	benchScorer(b, sensors.KindLidar, func(m *Model) Scorer { return m.NewReconScorer() })
}
func BenchmarkExactLRLidar(b *testing.B) {
	benchScorer(b, sensors.KindLidar, func(m *Model) Scorer { return m.NewExactLRScorer(ExactLRConfig{}) })
}

// benchEngine times the integer path alone (int16 input → score) against
// the float engine on the same input.
func benchEngine(b *testing.B, k sensors.Kind, fixed bool) {
	s := benchSetFor(b, k)
	m := s.m
	raw := make([]float64, m.repr.Dims())
	enc := newEncoder(&m.repr)
	if err := enc.raw(raw, s.frames[5]); err != nil {
		b.Fatal(err)
	}
	m.repr.standardize(raw)
	in := make([]int16, len(raw))
	quantizeInput(in, raw)
	fs := m.NewFixedScorer()
	fe := newFloatEngine(m.net, m.weight, m.refit)
	b.ReportAllocs()
	cputime.Report(b, func() {
		if fixed {
			fs.eng.score(in)
		} else {
			fe.prepare(raw)
			fe.refit()
		}
	})
}

func BenchmarkEngineFixedLidar(b *testing.B)  { benchEngine(b, sensors.KindLidar, true) }
func BenchmarkEngineFloatLidar(b *testing.B)  { benchEngine(b, sensors.KindLidar, false) }
func BenchmarkEngineFixedCamera(b *testing.B) { benchEngine(b, sensors.KindCamera, true) }
func BenchmarkEngineFloatCamera(b *testing.B) { benchEngine(b, sensors.KindCamera, false) }

func BenchmarkEncodeLidar(b *testing.B) {
	s := benchSetFor(b, sensors.KindLidar)
	enc := newEncoder(&s.m.repr)
	raw := make([]float64, s.m.repr.Dims())
	b.ReportAllocs()
	i := 0
	cputime.Report(b, func() {
		_ = enc.raw(raw, s.frames[i%len(s.frames)])
		i++
	})
}

func BenchmarkEncodeCamera(b *testing.B) {
	s := benchSetFor(b, sensors.KindCamera)
	enc := newEncoder(&s.m.repr)
	raw := make([]float64, s.m.repr.Dims())
	b.ReportAllocs()
	i := 0
	cputime.Report(b, func() {
		_ = enc.raw(raw, s.frames[i%len(s.frames)])
		i++
	})
}
