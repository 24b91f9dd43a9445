package likelihood_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/likelihood/scorertest"
	"github.com/sensortrust/trustagent/sensors"
)

// tinyOptions keep unit tests fast (they also run under qemu).
func tinyOptions() likelihood.TrainOptions {
	return likelihood.TrainOptions{Hidden: 16, Latent: 4, DecoderHidden: 16, Epochs: 40, AzBins: 32, ThumbW: 16,
		Refit: likelihood.RefitConfig{Steps: 4, Directions: 3, Samples: 4, Smoothing: 0.1, Step: 0.25, Seed: 3}}
}

type tinySet struct {
	model  *likelihood.Model
	frames []sensors.Frame // training frames
	test   []sensors.Frame // later frames of the same drive
}

var tinyModels = sync.OnceValues(func() (map[sensors.Kind]tinySet, error) {
	out := map[sensors.Kind]tinySet{}
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		all := synth.Frames(k, 90, 1)
		m, err := likelihood.Train(context.Background(), all[:80], tinyOptions())
		if err != nil {
			return nil, err
		}
		out[k] = tinySet{m, all[:80], all[80:]}
	}
	return out, nil
})

func tiny(t *testing.T, k sensors.Kind) tinySet {
	t.Helper()
	ms, err := tinyModels()
	if err != nil {
		t.Fatal(err)
	}
	return ms[k]
}

// anomalous returns gross faults: LiDAR scans with most rings deleted and
// 30 cm point noise; camera frames under heavy noise.
func anomalous(k sensors.Kind, frames []sensors.Frame) []sensors.Frame {
	rng := rand.New(rand.NewPCG(9, 9))
	var out []sensors.Frame
	for _, f := range frames {
		switch fr := f.(type) {
		case *sensors.Scan:
			c := *fr
			c.Points = nil
			for _, p := range fr.Points {
				if p.Ring%4 != 0 {
					continue
				}
				if p.Range > 0 {
					p.X += float32(rng.NormFloat64() * 0.3)
					p.Y += float32(rng.NormFloat64() * 0.3)
					p.Z += float32(rng.NormFloat64() * 0.3)
				}
				c.Points = append(c.Points, p)
			}
			out = append(out, &c)
		case *sensors.Image:
			c := *fr
			c.Pix = append([]byte(nil), fr.Pix...)
			for i := range c.Pix {
				v := float64(c.Pix[i]) + rng.NormFloat64()*60
				c.Pix[i] = byte(max(0, min(255, v)))
			}
			out = append(out, &c)
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		ts := tiny(t, k)
		m := ts.model
		makers := map[string]func() likelihood.Scorer{
			"fixed":    func() likelihood.Scorer { return m.NewFixedScorer() },
			"approxLR": func() likelihood.Scorer { return m.NewApproxLRScorer() },
			"NLL":      func() likelihood.Scorer { return m.NewNLLScorer() },
			"recon":    func() likelihood.Scorer { return m.NewReconScorer() },
			"exactLR": func() likelihood.Scorer {
				return m.NewExactLRScorer(likelihood.ExactLRConfig{Steps: 10, LearningRate: 1e-3})
			},
		}
		for name, mk := range makers {
			t.Run(k.String()+"/"+name, func(t *testing.T) {
				scorertest.Run(t, scorertest.Config{
					New: mk, Kind: k, Clean: ts.test, Anomalous: anomalous(k, ts.test),
					ZeroAlloc: name == "fixed",
				})
			})
		}
	}
}
