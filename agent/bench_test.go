package agent

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/sensors"
)

// benchPipeline measures the agent's own cost per frame: arrival (stream
// checks, queue), content hash, health features and autoencoder in fixed
// point, decision, status bookkeeping. The scorer is a constant, so the
// figure excludes the likelihood VAE (benchmarked in package likelihood).
func benchPipeline(b *testing.B, g generator) {
	const n = 16
	src := make([]sensors.Frame, n)
	for i := range src {
		src[i] = g.Frame(uint64(i))
	}
	chunks := [][]sensors.Frame{src}
	hm := trainHealthModel(b, g, append(chunks, stretches(g, 6*time.Second, 20*time.Second)...))
	clk := &fakeClock{}
	a := buildAgent(b, []generator{g}, []SensorModel{{Scorer: ScorerFunc(func(sensors.Frame) (float64, error) { return 0.1, nil }), Threshold: 1, Health: hm}}, clk, decision.Options{})
	v := newVirtual(a, clk, src[0].Head().Stamp)
	p := g.Info().Period
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		f := src[i%n]
		h := f.Head()
		h.Seq = uint64(i + 1)
		h.Stamp = src[0].Head().Stamp.Add(time.Duration(i) * p)
		h.Received = h.Stamp.Add(5 * time.Millisecond)
		v.deliver(0, f)
	}
	b.StopTimer()
	if l := a.pipes[0].judge.Snapshot().State.Level; l == decision.Stale {
		b.Fatalf("level %v", l)
	}
}

func BenchmarkPipelineFrameLidar(b *testing.B) {
	r := newRig(b, rigOptions{})
	benchPipeline(b, r.lidar)
}

func BenchmarkPipelineFrameCamera320x240(b *testing.B) {
	r := newRig(b, rigOptions{})
	benchPipeline(b, r.cam)
}
