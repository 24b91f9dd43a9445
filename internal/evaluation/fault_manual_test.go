package evaluation

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/training"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/sensors/faults"
)

func TestFaultMagnitudesManual(t *testing.T) {
	file := os.Getenv("FAULTMAG")
	if file == "" {
		t.Skip()
	}
	data, _ := os.ReadFile(file)
	ms, err := modelbundle.Open(context.Background(), data, sensors.KindUnknown)
	if err != nil {
		t.Fatal(err)
	}
	kind := ms.VAE.Kind()
	clean, err := training.SimDrive(context.Background(), kind, training.SizeFull, 101, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "thr %.4g health warn %.4g err %.4g\n", ms.VAE.Threshold(), ms.Health.Warn, ms.Health.Error)
	for _, name := range faults.Names(kind) {
		for sev := 1; sev <= 3; sev++ {
			inj, err := faults.New(kind, faults.Config{Fault: name, Severity: sev, Seed: 7, Period: clean.Period})
			if err != nil {
				continue
			}
			frames, altered, _ := FaultStream(clean.Frames, inj)
			rp, _ := NewReplay(ms, clean.Period, JudgeOptions{})
			var sc, hs []float64
			unt, n := 0, 0
			for i, f := range frames {
				f.Head().Received = f.Head().Stamp
				v := rp.Frame(f)
				if !altered[i] {
					continue
				}
				n++
				if !v.Trusted {
					unt++
				}
				sc = append(sc, v.Score)
				hs = append(hs, v.Health.Score)
			}
			if n == 0 {
				continue
			}
			slices.Sort(sc)
			slices.Sort(hs)
			fmt.Fprintf(&b, "%-22s %d score p10 %8.3g p50 %8.3g | health p10 %8.3g p50 %8.3g | untrusted %3.0f%%\n", name, sev, sc[len(sc)/10], sc[len(sc)/2], hs[len(hs)/10], hs[len(hs)/2], 100*float64(unt)/float64(n))
		}
	}
	t.Log("\n" + b.String())
}
