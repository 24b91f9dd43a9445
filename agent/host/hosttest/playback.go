package hosttest

import (
	"time"

	"github.com/sensortrust/trustagent/agent/host"
)

// Playback replays recorded samples in order, stamped with the time asked
// for; after the last it repeats the last.
type Playback struct {
	Samples []host.Sample
	i       int
}

// Sample implements host.Sampler.
func (p *Playback) Sample(now time.Time) host.Sample {
	if len(p.Samples) == 0 {
		return host.Sample{Time: now}
	}
	s := p.Samples[min(p.i, len(p.Samples)-1)]
	p.i++
	s.Time = now
	return s
}
