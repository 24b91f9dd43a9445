package evaluation

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
)

func TestDiagManual(t *testing.T) {
	file := os.Getenv("DIAG")
	if file == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(file)
	ms, err := modelbundle.Open(context.Background(), data, sensors.KindUnknown)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, w := range []uint64{7, 12} {
		run, _ := training.SimRun(ms.VAE.Kind(), training.SizeFull, w, 0, 1200)
		sc := ms.VAE.NewFixedScorer()
		i := 0
		for f := range run.Frames {
			i++
			s, err := sc.Score(f)
			if err != nil || s < 25 {
				continue
			}
			p, _ := sc.ScoreParts(f)
			rs := sc.Reasons(3)
			counts[rs[0].Name]++
			if counts[rs[0].Name] <= 2 {
				fmt.Printf("world %d frame %d score %.1f parts %+v top %+v\n", w, i, s, p, rs)
			}
		}
	}
	fmt.Println(counts)
}
