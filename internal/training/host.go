package training

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"time"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/internal/modelbundle"
	"github.com/sensortrust/trustagent/internal/version"
)

// HostOptions configure TrainHost.
type HostOptions struct {
	Period       time.Duration // the robot's host.period when the log was recorded; default 1 s
	AlarmsPerDay float64       // WARN target; default 1 (ERROR at a tenth)
	ModelID      string        // model lineage recorded in the bundle; default "host"
	Version      uint64        // bundle version, >= 1; default 1
	Seed         uint64
	Created      time.Time // recorded in the metadata; zero: now
}

// HostResult is a trained host model and its bundle.
type HostResult struct {
	Bundle   []byte // unsigned host bundle
	Model    *health.Model
	Report   health.TrainReport
	Samples  int
	From, To time.Time // time of the first and last sample of the log
}

// hostProbes is how many samples of the log are recorded as probes.
const hostProbes = 4

// TrainHost trains the host model on a host sample log recorded by a robot
// (<state_dir>/host/samples.log) as the robot itself does at the end of its
// learning phase (host.Train), and packs it as an unsigned host bundle
// whose probes are samples spread over the log and whose metadata records
// the log's SHA-256.
func TrainHost(ctx context.Context, logPath string, opts HostOptions) (*HostResult, error) {
	raw, err := os.ReadFile(logPath)
	if err != nil {
		return nil, fmt.Errorf("training: host: %w", err)
	}
	rows, times, err := host.ReadSampleLog(logPath)
	if err != nil {
		return nil, err
	}
	if len(rows) < host.MinLearnSamples {
		return nil, fmt.Errorf("training: host: %s holds %d samples; training needs at least %d", logPath, len(rows), host.MinLearnSamples)
	}
	if len(rows[0]) != len(host.Names()) {
		return nil, fmt.Errorf("training: host: %s was recorded with %d host features, this build has %d", logPath, len(rows[0]), len(host.Names()))
	}
	if opts.Period == 0 {
		opts.Period = time.Second
	}
	if opts.AlarmsPerDay == 0 {
		opts.AlarmsPerDay = 1
	}
	if opts.ModelID == "" {
		opts.ModelID = "host"
	}
	if opts.Created.IsZero() {
		opts.Created = time.Now().UTC()
	}
	lo := host.LearnOptions{Period: opts.Period, AlarmsPerDay: opts.AlarmsPerDay, ID: opts.ModelID}
	lo.Train.Seed = opts.Seed
	m, rep, err := host.Train(ctx, rows, lo)
	if err != nil {
		return nil, err
	}
	probes := make([][]float64, 0, hostProbes)
	for i := range hostProbes {
		probes = append(probes, rows[i*(len(rows)-1)/(hostProbes-1)])
	}
	b, err := modelbundle.BuildHost(modelbundle.HostSpec{
		Model: m, ModelID: opts.ModelID, Version: opts.Version, Probes: probes,
		Samples: len(rows), Period: opts.Period, AlarmsPerDay: opts.AlarmsPerDay,
		DataHash: sha256.Sum256(raw), Seed: opts.Seed, Created: opts.Created, ToolVersion: version.String(),
	})
	if err != nil {
		return nil, err
	}
	return &HostResult{Bundle: b, Model: m, Report: rep, Samples: len(rows), From: times[0], To: times[len(times)-1]}, nil
}
