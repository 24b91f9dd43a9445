package outbox

import (
	"encoding/json"
	"fmt"
	"maps"
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
	counters := maps.Clone(o.seq)
	err := o.writeSeqFile(counters)
	o.diskResult("write "+seqFile, err)
	if err == nil {
		o.markDurable(counters)
	}
}

// writeSeqFile writes counters to seq.json.
func (o *Outbox) writeSeqFile(counters map[string]uint64) error {
	o.seqMu.Lock()
	defer o.seqMu.Unlock()
	b, err := json.Marshal(counters)
	if err != nil {
		return err
	}
	return o.fs.WriteFile(seqFile, b)
}

// markDurable records counters as written. Called with o.mu held.
func (o *Outbox) markDurable(counters map[string]uint64) {
	for k, v := range counters {
		o.durable[k] = max(o.durable[k], v)
	}
}

// newer reports whether snap holds a counter beyond seq.json. Called with o.mu held.
func (o *Outbox) newer(snap map[string]uint64) bool {
	for k, v := range snap {
		if v > o.durable[k] {
			return true
		}
	}
	return false
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
