package outbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// seqFile holds the boot epoch, {"epoch":N}. Versions before the epoch
// kept per-key counters there ({"lidar0":41,...}); OpenSequencer reads
// those too.
const seqFile = "seq.json"

// ErrEpoch is wrapped by OpenSequencer's error when the boot epoch cannot
// be read or stored. Numbers handed out without a stored epoch could repeat
// those of an earlier run, so nothing may be published: the caller must
// refuse to start.
var ErrEpoch = errors.New("outbox: cannot store the boot epoch, so sequence numbers could repeat: refusing to publish")

// MaxEpoch is the largest epoch OpenSequencer hands out: it keeps every
// number below 2^53, exact in the double-precision numbers of JavaScript and
// many JSON decoders (two million starts).
const MaxEpoch = 1<<21 - 1

// Sequencer numbers changes per key (a sensor name, or "summary") so that
// the numbers never repeat and never go backwards, across restarts,
// crashes and a full disk:
//
//	Next(key) = epoch<<32 | n   n = 1, 2, 3, … per key, in memory
//
// where epoch is one more than the previous run's, stored (written and
// fsync'd) by OpenSequencer before the first number is handed out. Within
// one run a key's numbers are contiguous; a later run's are all larger.
// Next does no I/O. It implements transport.Sequencer and is safe for
// concurrent use.
type Sequencer struct {
	epoch uint64
	mu    sync.Mutex
	n     map[string]uint32
}

// OpenSequencer reads the epoch of the previous run from seq.json in fsys,
// stores the next one and returns a Sequencer numbering in it. When the
// file cannot be read, parsed or written (a full or read-only disk), it
// returns an error wrapping ErrEpoch and no Sequencer.
func OpenSequencer(fsys FS) (*Sequencer, error) {
	prev, err := readEpoch(fsys)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrEpoch, seqFile, err)
	}
	epoch := prev + 1
	if epoch > MaxEpoch {
		return nil, fmt.Errorf("%w: epoch %d beyond %d", ErrEpoch, epoch, MaxEpoch)
	}
	b, _ := json.Marshal(struct {
		Epoch uint64 `json:"epoch"`
	}{epoch})
	if err := fsys.WriteFile(seqFile, b); err != nil {
		return nil, fmt.Errorf("%w: %s: %w (disk full or unwritable?)", ErrEpoch, seqFile, err)
	}
	return &Sequencer{epoch: epoch, n: map[string]uint32{}}, nil
}

// readEpoch returns the stored epoch: 0 when there is no file; for a file
// of per-key counters (before epochs), the epoch above all its numbers.
func readEpoch(fsys FS) (uint64, error) {
	b, err := fsys.ReadFile(seqFile)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var m map[string]uint64
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, fmt.Errorf("corrupt: %w", err)
	}
	if e, ok := m["epoch"]; ok && len(m) == 1 {
		return e, nil
	}
	var top uint64
	for _, v := range m {
		top = max(top, v)
	}
	return top >> 32, nil
}

// Epoch is the run's epoch: the high 32 bits of every number it hands out.
func (s *Sequencer) Epoch() uint64 { return s.epoch }

// Next returns key's next number. A key has at most 2^32−1 numbers in one
// run (13 years of ten changes a second); after that Next repeats the last.
func (s *Sequencer) Next(key string) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n[key] < 1<<32-1 {
		s.n[key]++
	}
	return s.epoch<<32 | uint64(s.n[key])
}
