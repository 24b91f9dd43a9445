package chaos

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)

func makeState(robot, sensor, level string, epoch uint64, n uint32, heartbeat bool, expires time.Time) []byte {
	return fmt.Appendf(nil, `{"robot":%q,"sensor":%q,"level":%q,"seq":%d,"heartbeat":%v,"expires":%q}`,
		robot, sensor, level, epoch<<32|uint64(n), heartbeat, expires.Format(time.RFC3339Nano))
}

func receive(t *testing.T, l *Ledger, p []byte) {
	t.Helper()
	if err := l.Receive(p); err != nil {
		t.Fatal(err)
	}
}

// TestLedgerCounts: a run logs n = 1..c; the ledger finds what is lost,
// duplicated, missing between received numbers, received but not logged,
// and repeated levels, per robot, sensor and epoch.
func TestLedgerCounts(t *testing.T) {
	l := NewLedger(3 * time.Second)
	exp := t0.Add(3 * time.Second)
	// Epoch 1 of r1/lidar0 logged 4 changes: 1, 2, 4 arrive, 2 twice; 3 is lost.
	for _, n := range []uint32{1, 2, 2, 4} {
		receive(t, l, makeState("r1", "lidar0", []string{"", "STALE", "OK", "ERROR", "OK"}[n], 1, n, false, exp))
	}
	receive(t, l, makeState("r1", "lidar0", "OK", 1, 4, true, exp)) // a heartbeat is no change
	l.Logged("r1", 1, map[string]uint32{"lidar0": 4})
	// Epoch 2: killed after writing change 3 but before logging it.
	for _, n := range []uint32{1, 2, 3} {
		receive(t, l, makeState("r1", "lidar0", "STALE", 2, n, false, exp))
	}
	l.Logged("r1", 2, map[string]uint32{"lidar0": 2})
	// Another robot's sensor of the same name is its own.
	receive(t, l, makeState("r2", "lidar0", "STALE", 1, 1, false, exp))
	l.Logged("r2", 1, map[string]uint32{"lidar0": 1})

	if err := l.Receive([]byte(`{"robot":"r1","level":"OK","seq":9}`)); err != ErrNotState {
		t.Errorf("summary: %v", err)
	}
	if err := l.Receive([]byte(`{"robot":"r1","sensor":"lidar0","level":"OK"}`)); err == nil {
		t.Error("state without seq accepted")
	}
	if err := l.Receive([]byte(`{`)); err == nil {
		t.Error("bad JSON accepted")
	}

	f := l.Figures()
	want := Figures{Runs: 3, Sent: 7, Received: 7, Duplicates: 1, Heartbeats: 1, Gaps: 1, Lost: 1, Unlogged: 1,
		Repeats: 2, Malformed: 2}
	if f != want {
		t.Errorf("figures\n got %+v\nwant %+v", f, want)
	}
	if m := l.Missing(10); len(m) != 1 || m[0] != "r1/lidar0 1:3" {
		t.Errorf("missing %q", m)
	}
}

// TestLedgerReads: a trusted read is stale when the latest state (by seq)
// has expired, or when trustd has been down for a state's lifetime;
// within that lifetime it is allowed and counted apart.
func TestLedgerReads(t *testing.T) {
	l := NewLedger(3 * time.Second)
	k := Key{"r1", "cam0"}
	if !l.Read(k, t0, true) {
		t.Error("trusted with no state at all: not stale")
	}
	receive(t, l, makeState("r1", "cam0", "OK", 1, 2, false, t0.Add(3*time.Second)))
	receive(t, l, makeState("r1", "cam0", "OK", 1, 1, false, t0.Add(9*time.Second))) // older seq: ignored
	for _, c := range []struct {
		at      time.Duration
		trusted bool
		stale   bool
	}{
		{0, true, false},
		{3 * time.Second, true, true}, // expires is exclusive
		{4 * time.Second, false, false},
	} {
		if got := l.Read(k, t0.Add(c.at), c.trusted); got != c.stale {
			t.Errorf("read at %v trusted %v: stale %v", c.at, c.trusted, got)
		}
	}
	receive(t, l, makeState("r1", "cam0", "OK", 1, 2, true, t0.Add(10*time.Second))) // heartbeat extends
	l.Down("r1", t0.Add(5*time.Second))
	l.Down("r1", t0.Add(6*time.Second)) // the first one counts
	if l.Read(k, t0.Add(7*time.Second), true) {
		t.Error("trusted 2 s after trustd went down: within a state's life, not stale")
	}
	if !l.Read(k, t0.Add(8*time.Second), true) {
		t.Error("trusted 3 s after trustd went down: not stale")
	}
	l.Up("r1")
	if l.Read(k, t0.Add(9*time.Second), true) {
		t.Error("trusted after a restart, state not expired: stale")
	}
	f := l.Figures()
	if f.Reads != 7 || f.TrustedReads != 6 || f.StaleTrustReads != 3 || f.TrustedWhileDown != 1 {
		t.Errorf("reads %+v", f)
	}
}

func TestScanLog(t *testing.T) {
	log := strings.Join([]string{
		`{"level":"info","robot":"r1","message":"trustd starting"}`,
		`{"level":"info","sensor":"lidar0","trust":"STALE","cause":"stream","message":"STALE: no frame judged yet"}`,
		`{"level":"info","sensor":"cam0","trust":"STALE","cause":"stream","message":"STALE: no frame judged yet"}`,
		`{"level":"info","sensor":"lidar0","trust":"OK","cause":"","message":"OK: score 1 ≤ threshold 8"}`,
		`{"level":"warn","sensor":"lidar0","message":"source stopped; restarting"}`,
		`{"level":"error","op":"write","message":"outbox: cannot use the state directory (disk full or unwritable?); keeping messages in memory only, they will not survive a restart"}`,
		`{"level":"info","op":"write","message":"outbox: state directory writable again"}`,
		`{"level":"info","messages":3,"message":"outbox: resending messages left by the previous run"}`,
		`not json`,
		`panic: runtime error: index out of range`,
	}, "\n")
	rl, err := ScanLog(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	if rl.Changes["lidar0"] != 2 || rl.Changes["cam0"] != 1 || len(rl.Changes) != 2 {
		t.Errorf("changes %v", rl.Changes)
	}
	if rl.DiskErrors != 1 || rl.DiskBack != 1 || rl.Resent != 1 || rl.Panics != 1 || len(rl.Errors) != 1 {
		t.Errorf("%+v", rl)
	}
}

func TestScenarioCoversDuration(t *testing.T) {
	s := Scenario(2 * time.Minute)
	if n := strings.Count(s, "\n  - "); n != 6*4 {
		t.Errorf("%d events for 2 min, want 4 cycles of 6", n)
	}
	if !strings.Contains(s, "at: 124s, sensor: lidar0, fault: disconnect") {
		t.Errorf("no disconnect in the fourth cycle:\n%s", s)
	}
}
