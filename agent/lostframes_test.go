package agent

import (
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/level"
)

// TestJudgeLostFramesWarn: a clean drive in a world the default models
// never saw, with one frame in 40 lost on the way (a gap in the sequence
// numbers), never takes either sensor to ERROR: the health models learnt
// streams that lost nothing, and their error for the second after a lost
// frame is timing alone, which warns.
func TestJudgeLostFramesWarn(t *testing.T) {
	r := newRig(t, rigOptions{seed: 7, camW: 320, camH: 240})
	for _, g := range r.gens() {
		info := g.Info()
		ms := defaultModels(t, info.Kind)
		j, err := NewJudge(JudgeOptions{Kind: info.Kind, Period: info.Period, Model: defaultSensorModel(ms)})
		if err != nil {
			t.Fatal(err)
		}
		j.Start(t0)
		var lostWarn, errs int
		for i := range 240 {
			if i%40 == 20 {
				continue
			}
			f := g.Frame(uint64(i))
			h := f.Head()
			h.Seq = uint64(i + 1)
			h.Stamp = t0.Add(time.Duration(i+1) * info.Period)
			h.Received = h.Stamp
			v := j.Frame(f, j.Observe(*h), 0)
			if v.Level == level.Error {
				errs++
				t.Errorf("%v: frame %d: ERROR %v", info.Kind, i, v.Reasons)
			}
			for _, rs := range v.Health.Reasons {
				if rs.Feature == "drop_frac" && rs.Level == level.Warn {
					lostWarn++
				}
			}
		}
		// The lost frames are seen, as timing.
		if lostWarn == 0 {
			t.Errorf("%v: no health_warn for the lost frames", info.Kind)
		}
		if errs > 0 {
			break
		}
	}
}
