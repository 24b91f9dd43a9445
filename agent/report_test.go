package agent

import (
	"context"
	"slices"
	"sync"
)

// reportRecorder is a Reporter that keeps copies of what it is given.
type reportRecorder struct {
	mu      sync.Mutex
	sensors []SensorReport
	sums    []SummaryReport
	health  []HealthReport
}

func (r *reportRecorder) ReportSensor(_ context.Context, sr *SensorReport) error {
	c := *sr
	c.Judge.State.Reasons = slices.Clone(c.Judge.State.Reasons)
	r.mu.Lock()
	r.sensors = append(r.sensors, c)
	r.mu.Unlock()
	return nil
}

func (r *reportRecorder) ReportSummary(_ context.Context, sr *SummaryReport) error {
	r.mu.Lock()
	r.sums = append(r.sums, *sr)
	r.mu.Unlock()
	return nil
}

func (r *reportRecorder) ReportHealth(_ context.Context, hr *HealthReport) error {
	r.mu.Lock()
	r.health = append(r.health, *hr)
	r.mu.Unlock()
	return nil
}

func (r *reportRecorder) snapshot() ([]SensorReport, []SummaryReport, []HealthReport) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sensors), slices.Clone(r.sums), slices.Clone(r.health)
}
