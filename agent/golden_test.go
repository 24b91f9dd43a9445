package agent

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/sensors/faults"
)

var update = flag.Bool("update", false, "rewrite the golden timeline files")

// TestGoldenTimeline plays testdata/golden.yaml on the simulated robot and
// compares the level timeline (every change of each sensor and of the
// summary) with testdata/timeline.txt. Models: health
// autoencoders trained here on three clean 15 s stretches of the drive
// away from the scenario's, and no frame scorer (the likelihood VAE takes
// too long to train for a unit test, and the one-statistic stand-in raised
// false alarms on scene drift); stream checks and frozen-frame detection
// as deployed. `go test -run Golden -update`
// regenerates the file. The float training could differ between
// architectures; it does not today: amd64, arm64 and 32-bit arm (under
// qemu) give the same file.
func TestGoldenTimeline(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("simulates 75 s of two sensors (minutes under -race; the other tests cover the same code with the race detector)")
	}
	const start = 30 * time.Second
	r := newRig(t, rigOptions{lidarColumns: 900, camW: 96, camH: 72, camPeriod: 100 * time.Millisecond})
	var models []SensorModel
	for _, g := range r.gens() {
		clean := stretches(g, 15*time.Second, 0, 100*time.Second, 200*time.Second)
		models = append(models, SensorModel{Health: trainHealthModel(t, g, clean), ID: "health-only", Version: "test"})
	}
	sc, err := faults.LoadScenario(filepath.Join("testdata", "golden.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{}
	a := buildAgent(t, r.gens(), models, clk, decision.Options{})
	got := timelineText(play(t, a, clk, r.gens(), sc, start, sc.Duration, nil))

	path := filepath.Join("testdata", "timeline.txt")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("timeline differs from %s (rerun with -update if the change is intended)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}
