package training

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

func TestAlarmExperiment(t *testing.T) {
	if os.Getenv("EXP") == "" {
		t.Skip()
	}
	frames, _ := strconv.Atoi(os.Getenv("EXP"))
	for _, k := range []sensors.Kind{sensors.KindLidar, sensors.KindCamera} {
		if os.Getenv("KIND") != "" && os.Getenv("KIND") != k.String() {
			continue
		}
		file := "../../deploy/models/" + k.String() + ".bundle"
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		p := DefaultPlans(SizeFull)[0]
		if k == sensors.KindCamera {
			p = DefaultPlans(SizeFull)[1]
		}
		p.AlarmWorlds, p.AlarmFrames = []uint64{5, 6, 8, 10}, frames
		t0 := time.Now()
		b, al, err := PlanAlarms(context.Background(), p, data)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v: %v: thr %.4g -> %.4g (q %.4g alarm %.4g) tail %+v health %.4g/%.4g", k, time.Since(t0).Round(time.Second), al.PreviousThreshold, al.Threshold, al.ScoreQuantile, al.ScoreAlarm, al.ScoreTail, al.HealthOwn, al.HealthAlarm)
		os.WriteFile("/tmp/exp-"+k.String()+".bundle", b, 0o644)
	}
}
