package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Key names one sensor of one robot.
type Key struct{ Robot, Sensor string }

func (k Key) String() string { return k.Robot + "/" + k.Sensor }

// Figures are what a chaos run measured. Sent, Received, Lost, Gaps and
// StaleTrustReads are counted in level changes and reads; see Ledger.
type Figures struct {
	Runs             int    // trustd processes whose changes were logged
	Sent             uint64 // level changes trustd logged
	Received         uint64 // distinct level changes received (robot, sensor, seq)
	Duplicates       uint64 // level changes received more than once
	Heartbeats       uint64 // heartbeats received
	Gaps             uint64 // numbers missing within an epoch below the largest received
	Lost             uint64 // logged but never received
	Unlogged         uint64 // received but not logged: trustd was killed between the write and the log line
	Repeats          uint64 // received changes whose level equals the previous change's of the sensor
	Malformed        uint64 // sensor-state payloads that did not parse
	Reads            uint64 // consumer reads
	TrustedReads     uint64 // of which trusted
	TrustedWhileDown uint64 // trusted while trustd was down, within a state's lifetime (the contract allows it)
	StaleTrustReads  uint64 // trusted after the state expired or after trustd was down for longer than a state lives
}

// String is a one-line report.
func (f Figures) String() string {
	return fmt.Sprintf("runs %d, changes sent %d, received %d, lost %d, unlogged %d, duplicates %d, gaps %d, repeated levels %d, heartbeats %d, malformed %d; reads %d, trusted %d, trusted while down (within expiry) %d, stale-trust %d",
		f.Runs, f.Sent, f.Received, f.Lost, f.Unlogged, f.Duplicates, f.Gaps, f.Repeats, f.Heartbeats, f.Malformed,
		f.Reads, f.TrustedReads, f.TrustedWhileDown, f.StaleTrustReads)
}

// change is what the ledger keeps of one received level change.
type change struct {
	level string
	times int
}

// epochKey is one sensor's changes within one run.
type epochKey struct {
	Key
	epoch uint64
}

// Ledger is the bookkeeping of a chaos run. It is safe for concurrent use.
//
// Within one run (epoch = seq >> 32) trustd numbers a sensor's changes
// n = 1, 2, 3, ... and logs one line per change after the change is on disk.
// A run that logged c changes of a sensor therefore sent n = 1..c; each must
// arrive (else Lost), and a received n above c is Unlogged (trustd was
// killed between writing it and logging it). Gaps are numbers missing
// between 1 and the largest n received, the consumer's own view of loss.
type Ledger struct {
	expiry time.Duration

	mu      sync.Mutex
	changes map[epochKey]map[uint32]*change
	logged  map[epochKey]uint32
	runs    int
	latest  map[Key]latestState
	down    map[string]time.Time // robot → when it went down; absent while up
	fig     Figures
}

type latestState struct {
	seq     uint64
	expires time.Time
}

// NewLedger returns a ledger for states that live expiry (3 heartbeats)
// after they are made.
func NewLedger(expiry time.Duration) *Ledger {
	return &Ledger{expiry: expiry, changes: map[epochKey]map[uint32]*change{}, logged: map[epochKey]uint32{},
		latest: map[Key]latestState{}, down: map[string]time.Time{}}
}

// statePayload is the part of a sensor state the ledger reads.
type statePayload struct {
	Robot     string    `json:"robot"`
	Sensor    string    `json:"sensor"`
	Level     string    `json:"level"`
	Seq       *uint64   `json:"seq"`
	Heartbeat bool      `json:"heartbeat"`
	Expires   time.Time `json:"expires"`
}

// ErrNotState is returned by Receive for a payload that is not a sensor
// state (a summary, health, a reply); the ledger ignores it.
var ErrNotState = errors.New("chaos: not a sensor state")

// Receive records one message received on a sensor-state topic.
func (l *Ledger) Receive(payload []byte) error {
	var p statePayload
	if err := json.Unmarshal(payload, &p); err != nil {
		l.mu.Lock()
		l.fig.Malformed++
		l.mu.Unlock()
		return fmt.Errorf("chaos: state payload: %w", err)
	}
	if p.Sensor == "" {
		return ErrNotState
	}
	if p.Seq == nil || p.Robot == "" || p.Expires.IsZero() {
		l.mu.Lock()
		l.fig.Malformed++
		l.mu.Unlock()
		return fmt.Errorf("chaos: state of %s/%s without seq, robot or expires", p.Robot, p.Sensor)
	}
	k := Key{p.Robot, p.Sensor}
	seq := *p.Seq
	l.mu.Lock()
	defer l.mu.Unlock()
	if lt, ok := l.latest[k]; !ok || seq > lt.seq || (seq == lt.seq && p.Expires.After(lt.expires) && p.Heartbeat) {
		l.latest[k] = latestState{seq: seq, expires: p.Expires}
	}
	if p.Heartbeat {
		l.fig.Heartbeats++
		return nil
	}
	ek := epochKey{k, seq >> 32}
	m := l.changes[ek]
	if m == nil {
		m = map[uint32]*change{}
		l.changes[ek] = m
	}
	n := uint32(seq)
	if c := m[n]; c != nil {
		c.times++
		return nil
	}
	m[n] = &change{level: p.Level, times: 1}
	return nil
}

// Logged records that the run of robot with this epoch logged changes[s]
// level changes of sensor s.
func (l *Ledger) Logged(robot string, epoch uint64, changes map[string]uint32) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.runs++
	for s, c := range changes {
		l.logged[epochKey{Key{robot, s}, epoch}] += c
	}
}

// Down records that robot's trustd stopped (or was signalled to) at t.
func (l *Ledger) Down(robot string, t time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.down[robot]; !ok {
		l.down[robot] = t
	}
}

// Up records that robot's trustd runs again.
func (l *Ledger) Up(robot string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.down, robot)
}

// Read records that the consumer said, at time at, whether the sensor may be
// trusted. A trusted read is stale when the latest state received (by the
// seq rule) expired at or before at, or when the robot's trustd has been
// down since at least one state lifetime before at: no state it made can
// still be valid.
func (l *Ledger) Read(k Key, at time.Time, trusted bool) (stale bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fig.Reads++
	if !trusted {
		return false
	}
	l.fig.TrustedReads++
	lt, ok := l.latest[k]
	if !ok || !at.Before(lt.expires) {
		stale = true
	}
	if since, down := l.down[k.Robot]; down {
		if at.Sub(since) >= l.expiry {
			stale = true
		} else {
			l.fig.TrustedWhileDown++
		}
	}
	if stale {
		l.fig.StaleTrustReads++
	}
	return stale
}

// Figures compares what was logged with what was received.
func (l *Ledger) Figures() Figures {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.fig
	f.Runs = l.runs
	f.Sent, f.Received, f.Duplicates, f.Gaps, f.Lost, f.Unlogged, f.Repeats = 0, 0, 0, 0, 0, 0, 0
	for ek, c := range l.logged {
		f.Sent += uint64(c)
		got := l.changes[ek]
		for n := uint32(1); n <= c; n++ {
			if got[n] == nil {
				f.Lost++
			}
		}
	}
	for ek, m := range l.changes {
		var top uint32
		ns := make([]uint32, 0, len(m))
		for n, c := range m {
			f.Received++
			f.Duplicates += uint64(c.times - 1)
			top = max(top, n)
			ns = append(ns, n)
		}
		f.Gaps += uint64(top) - uint64(len(m))
		if c, ok := l.logged[ek]; ok && top > c {
			for _, n := range ns {
				if n > c {
					f.Unlogged++
				}
			}
		}
		sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
		for i := 1; i < len(ns); i++ {
			if ns[i] == ns[i-1]+1 && m[ns[i]].level == m[ns[i-1]].level {
				f.Repeats++
			}
		}
	}
	return f
}

// Missing lists, for a failure report, the changes logged but never
// received and the numbers missing within an epoch, as robot/sensor
// epoch:n, at most max of them.
func (l *Ledger) Missing(limit int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	seen := map[epochKey]uint32{}
	for ek, c := range l.logged {
		seen[ek] = c
	}
	for ek, m := range l.changes {
		for n := range m {
			seen[ek] = max(seen[ek], n)
		}
	}
	for ek, top := range seen {
		for n := uint32(1); n <= top && len(out) < limit; n++ {
			if l.changes[ek][n] == nil {
				out = append(out, fmt.Sprintf("%s %d:%d", ek.Key, ek.epoch, n))
			}
		}
	}
	sort.Strings(out)
	return out
}
