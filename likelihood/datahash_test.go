package likelihood_test

import (
	"context"
	"testing"

	"github.com/sensortrust/trustagent/likelihood"
	"github.com/sensortrust/trustagent/likelihood/internal/synth"
	"github.com/sensortrust/trustagent/sensors"
)

func TestDataHashMatchesTrainingData(t *testing.T) {
	ctx := context.Background()
	fr := synth.Frames(sensors.KindCamera, 40, 5)
	o := tinyOptions()
	o.Epochs = 2
	m, err := likelihood.Train(ctx, fr, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.DataHash(ctx, fr)
	if err != nil {
		t.Fatal(err)
	}
	if got != m.Meta().DataHash {
		t.Fatalf("hash of the training frames %x, model records %x", got, m.Meta().DataHash)
	}
	other, err := m.DataHash(ctx, synth.Frames(sensors.KindCamera, 40, 6))
	if err != nil {
		t.Fatal(err)
	}
	part, _ := m.DataHash(ctx, fr[:len(fr)-1])
	if other == m.Meta().DataHash || part == m.Meta().DataHash {
		t.Fatal("other frames hash like the training data")
	}
}
