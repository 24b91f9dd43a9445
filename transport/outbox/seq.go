package outbox

import (
	"encoding/json"
	"fmt"

	"github.com/sensortrust/trustagent/transport"
)

const seqFile = "seq.json"

// Next returns the next sequence number for key (a sensor name, or
// "summary"), starting at 1. The counter is written to disk before Next
// returns, so numbers keep increasing across restarts; if the disk fails the
// counter lives on in memory (see Stats.DiskOK) and a restart resumes from
// the highest number on disk, the seq of any queued message included.
func (o *Outbox) Next(key string) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq[key]++
	n := o.seq[key]
	b, err := json.Marshal(o.seq)
	if err == nil {
		err = o.fs.WriteFile(seqFile, b)
	}
	o.diskResult("write "+seqFile, err)
	return n
}

func (o *Outbox) loadSeq() {
	b, err := o.fs.ReadFile(seqFile)
	if err != nil {
		return // first run, or unreadable: queued messages still raise the counters
	}
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		o.log.Error().Err(fmt.Errorf("outbox: %s: %w", seqFile, err)).Msg("outbox: sequence file unreadable; resuming from queued messages")
		return
	}
	for k, v := range m {
		o.seq[k] = max(o.seq[k], v)
	}
}

// noteSeq raises the counter of a loaded message's key to its seq.
func (o *Outbox) noteSeq(m transport.Message) {
	var p struct {
		Sensor string `json:"sensor"`
		Seq    uint64 `json:"seq"`
	}
	switch m.Kind {
	case transport.KindState, transport.KindHeartbeat:
		if json.Unmarshal(m.Payload, &p) == nil && p.Sensor != "" {
			o.seq[p.Sensor] = max(o.seq[p.Sensor], p.Seq)
		}
	case transport.KindSummary:
		if json.Unmarshal(m.Payload, &p) == nil {
			o.seq["summary"] = max(o.seq["summary"], p.Seq)
		}
	}
}
