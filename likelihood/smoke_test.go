package likelihood

import (
	"context"
	"testing"

	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
)

func tinyOpts() TrainOptions {
	return TrainOptions{Hidden: 16, Latent: 4, DecoderHidden: 16, Epochs: 30, AzBins: 32, ThumbW: 16,
		Refit: RefitConfig{Steps: 4, Directions: 2, Samples: 4, Smoothing: 0.1, Step: 0.25, Seed: 3}}
}

func TestSmoke(t *testing.T) {
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		fr := synth.Frames(k, 60, 1)
		m, err := Train(context.Background(), fr, tinyOpts())
		if err != nil {
			t.Fatal(err)
		}
		t.Log(m.Info())
		fs := m.NewFixedScorer()
		ap := m.NewApproxLRScorer()
		for i := 0; i < 5; i++ {
			a, err := fs.Score(fr[i])
			b, _ := ap.Score(fr[i])
			t.Log(a, b, err)
		}
	}
}
