package outbox

import (
	"encoding/json"
	"fmt"
)

const seqFile = "seq.json"

// Next returns the next sequence number for key (a sensor name, or
// "summary"), starting at 1. It does no I/O: the counter reaches the disk
// with the next durable message published (inside its file) and in
// seq.json before that file is deleted, and at Close. A number handed out
// but never published in a durable message may be handed out again after a
// crash; no consumer has seen it. If the state directory fails, numbers
// may repeat after a restart.
func (o *Outbox) Next(key string) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seq[key]++
	return o.seq[key]
}

// dirtySeq returns the counters that moved since seq.json was written.
func (o *Outbox) dirtySeq() map[string]uint64 {
	var d map[string]uint64
	for k, v := range o.seq {
		if v > o.durable[k] {
			if d == nil {
				d = map[string]uint64{}
			}
			d[k] = v
		}
	}
	return d
}

// writeSeq writes all counters to seq.json. Called with o.mu held.
func (o *Outbox) writeSeq() {
	b, err := json.Marshal(o.seq)
	if err == nil {
		err = o.fs.WriteFile(seqFile, b)
	}
	o.diskResult("write "+seqFile, err)
	if err == nil {
		for k, v := range o.seq {
			o.durable[k] = v
		}
	}
}

// saveSeq writes seq.json if any counter moved since it was written.
func (o *Outbox) saveSeq() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dirtySeq() != nil {
		o.writeSeq()
	}
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
		o.durable[k] = max(o.durable[k], v)
	}
}
