package fleet

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
)

var t0 = time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC)

const beat = 5 * time.Second

func newFleet(t *testing.T, o Options) *Fleet {
	t.Helper()
	f, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// publish feeds what trustd would publish for one sensor state, made at `at`.
func publish(t *testing.T, f *Fleet, robot, sensor string, lv transport.Level, seq uint64, heartbeat bool, at time.Time, reasons ...transport.Reason) {
	t.Helper()
	topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
	st := &transport.State{Robot: robot, Sensor: sensor, Level: lv, Reasons: reasons,
		Trusted: lv == transport.LevelOK || lv == transport.LevelWarn,
		Seq:     seq, Heartbeat: heartbeat, Time: at, Expires: at.Add(3 * beat)}
	if lv != transport.LevelOK {
		st.Cause = transport.CauseSensor
	}
	m, err := topics.StateMessage(st)
	if err != nil {
		t.Fatal(err)
	}
	f.Feed(m.Topic, m.Payload)
}

func status(f *Fleet, robot, s string) {
	f.Feed(transport.Topics{Prefix: transport.DefaultPrefix(robot)}.Status(), []byte(s))
}

// key is "robot/sensor level" for each row, in order.
func keys(s Snapshot) []string {
	var out []string
	for _, r := range s.Rows {
		out = append(out, fmt.Sprintf("%s/%s %s", r.Robot, r.Sensor, r.Level))
	}
	return out
}

func TestSnapshotWorstFirst(t *testing.T) {
	f := newFleet(t, Options{})
	for _, r := range []string{"r1", "r2", "r3"} {
		status(f, r, "online")
	}
	publish(t, f, "r1", "lidar0", transport.LevelOK, 1, false, t0)
	publish(t, f, "r1", "cam0", transport.LevelWarn, 1, false, t0)
	publish(t, f, "r2", "lidar0", transport.LevelError, 1, false, t0, transport.Reason{Code: "score_high", Feature: "score", Value: 7.9})
	publish(t, f, "r2", "cam0", transport.LevelStale, 1, false, t0)
	publish(t, f, "r3", "lidar0", transport.LevelOK, 1, false, t0)
	f.Feed("trust/v1/r3/health", []byte(`{"level":"OK"}`))      // not a sensor
	f.Feed("trust/v1/r3/cmd/loglevel", []byte(`{"level":"x"}`)) // deeper: ignored
	f.Feed("other/r9/lidar0", []byte("{"))                      // another prefix
	s := f.Snapshot(t0.Add(time.Second))
	want := []string{"r2/lidar0 ERROR", "r2/cam0 STALE", "r1/cam0 WARN", "r1/lidar0 OK", "r3/lidar0 OK"}
	if got := keys(s); !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if s.Robots != 3 || s.Online != 3 || s.Offline != 0 || s.Malformed != 0 {
		t.Errorf("robots %d online %d offline %d malformed %d", s.Robots, s.Online, s.Offline, s.Malformed)
	}
	wantLevels := map[transport.Level]int{transport.LevelOK: 2, transport.LevelWarn: 1, transport.LevelError: 1, transport.LevelStale: 1}
	for lv, n := range wantLevels {
		if s.Levels[lv] != n {
			t.Errorf("%s: %d, want %d", lv, s.Levels[lv], n)
		}
	}
	e := s.Rows[0]
	if e.Trusted || e.Why != consumer.Untrusted || e.Cause != transport.CauseSensor || len(e.Reasons) != 1 ||
		e.Reasons[0].Code != "score_high" || !e.Updated.Equal(t0) || e.Status != "online" {
		t.Errorf("ERROR row: %+v", e)
	}
	if ok := s.Rows[3]; !ok.Trusted || ok.Why != consumer.Trusted {
		t.Errorf("OK row: %+v", ok)
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("warnings %q", s.Warnings())
	}
}

// TestExpiry: a state past its expires shows STALE although the robot
// published nothing since (it went silent); a heartbeat moves it on.
func TestExpiry(t *testing.T) {
	f := newFleet(t, Options{})
	status(f, "r1", "online")
	publish(t, f, "r1", "lidar0", transport.LevelOK, 3, false, t0)
	row := func(now time.Time) Row { return f.Snapshot(now).Rows[0] }
	if r := row(t0.Add(3*beat - time.Nanosecond)); r.Level != transport.LevelOK || !r.Trusted {
		t.Errorf("before expiry: %+v", r)
	}
	r := row(t0.Add(3 * beat))
	if r.Level != transport.LevelStale || r.Published != transport.LevelOK || r.Trusted || r.Why != consumer.Expired {
		t.Errorf("at expiry: %+v", r)
	}
	if s := f.Snapshot(t0.Add(3 * beat)); s.Levels[transport.LevelStale] != 1 || s.Levels[transport.LevelOK] != 0 {
		t.Errorf("counts at expiry: %v", s.Levels)
	}
	publish(t, f, "r1", "lidar0", transport.LevelOK, 3, true, t0.Add(beat))
	if r := row(t0.Add(3 * beat)); r.Level != transport.LevelOK || !r.Updated.Equal(t0.Add(beat)) {
		t.Errorf("after a heartbeat: %+v", r)
	}
}

// TestOffline: the last will turns a robot's fresh states STALE; a robot
// whose only message is its status shows as one row.
func TestOffline(t *testing.T) {
	f := newFleet(t, Options{})
	status(f, "r1", "online")
	publish(t, f, "r1", "lidar0", transport.LevelOK, 1, false, t0)
	status(f, "r1", "offline")
	status(f, "r2", "offline")
	s := f.Snapshot(t0)
	if got, want := keys(s), []string{"r1/lidar0 STALE", "r2/ STALE"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if s.Rows[0].Why != consumer.Offline || s.Offline != 2 || s.Online != 0 || s.NoStatus != 0 {
		t.Errorf("%+v, offline %d", s.Rows[0], s.Offline)
	}
}

func TestCaps(t *testing.T) {
	f := newFleet(t, Options{MaxRobots: 2, MaxSensors: 2, MaxPayload: 4096})
	for _, r := range []string{"r1", "r2", "r3"} {
		status(f, r, "online")
		for _, sn := range []string{"a", "b", "c"} {
			publish(t, f, r, sn, transport.LevelOK, 1, false, t0)
		}
	}
	// A kept sensor is still updated at the cap.
	publish(t, f, "r1", "a", transport.LevelError, 2, false, t0)
	s := f.Snapshot(t0)
	if got, want := keys(s), []string{"r1/a ERROR", "r1/b OK", "r2/a OK", "r2/b OK"}; !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
	if s.DroppedRobots != 4 || s.DroppedSensors != 2 {
		t.Errorf("dropped: %d robot messages, %d sensor states", s.DroppedRobots, s.DroppedSensors)
	}
	w := strings.Join(s.Warnings(), "\n")
	if !strings.Contains(w, "more than 2 robots") || !strings.Contains(w, "more than 2 sensors") {
		t.Errorf("warnings %q", w)
	}
}

func TestMalformed(t *testing.T) {
	f := newFleet(t, Options{MaxPayload: 2048})
	status(f, "r1", "online")
	publish(t, f, "r1", "lidar0", transport.LevelOK, 5, false, t0)
	for _, m := range []struct{ topic, payload string }{
		{"trust/v1/r1/lidar0", "{"},
		{"trust/v1/r1/lidar0", `{"sensor":"lidar0","level":"OK","trusted":true,"expires":"2027-01-01T00:00:00Z"}`}, // no seq
		{"trust/v1/r1/lidar0", `{"sensor":"cam0","level":"ERROR","seq":9,"expires":"2027-01-01T00:00:00Z"}`},       // wrong sensor
		{"trust/v1/r1/lidar0", `{"sensor":"lidar0","level":"ERROR","seq":9,"expires":"2027-01-01T00:00:00Z","x":"` + strings.Repeat("x", 2048) + `"}`},
		{"trust/v1/r%20\x1b[2J/lidar0", `{}`}, // not a robot name, with an escape sequence
	} {
		f.Feed(m.topic, []byte(m.payload))
	}
	s := f.Snapshot(t0)
	if s.Malformed != 5 || len(s.Rows) != 1 || s.Rows[0].Level != transport.LevelOK || s.Rows[0].Seq != 5 || s.Robots != 1 {
		t.Errorf("malformed %d, rows %q", s.Malformed, keys(s))
	}
	if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0], "5 malformed messages") || !strings.Contains(w[0], `r%20\x1b[2J`) {
		t.Errorf("warnings %q", w)
	}
}

// TestCleared: empty retained messages (a decommissioned robot) remove
// the sensor, then the robot.
func TestCleared(t *testing.T) {
	f := newFleet(t, Options{})
	status(f, "r1", "online")
	publish(t, f, "r1", "lidar0", transport.LevelOK, 1, false, t0)
	f.Feed("trust/v1/r1/lidar0", nil)
	if s := f.Snapshot(t0); len(s.Rows) != 1 || s.Rows[0].Sensor != "" {
		t.Errorf("after clearing the sensor: %q", keys(s))
	}
	f.Feed("trust/v1/r1/status", nil)
	f.Feed("trust/v1/r7/status", nil) // never seen: nothing to forget
	if s := f.Snapshot(t0); s.Robots != 0 || len(s.Rows) != 0 {
		t.Errorf("after clearing the status: %d robots %q", s.Robots, keys(s))
	}
}

func TestRobotPattern(t *testing.T) {
	f := newFleet(t, Options{Prefix: "site/a", Robots: "amr-*"})
	if got := f.Filter(); got != "site/a/+/+" {
		t.Errorf("filter %q", got)
	}
	f.Feed("site/a/amr-1/status", []byte("online"))
	f.Feed("site/a/agv-1/status", []byte("online"))
	if s := f.Snapshot(t0); s.Robots != 1 || s.Rows[0].Robot != "amr-1" {
		t.Errorf("rows %q", keys(s))
	}
	f.Feed("site/a/amr-2/lidar0", []byte(`{"sensor":"lidar0","level":"OK","trusted":true,"seq":1,"expires":"2027-01-01T00:00:00Z"}`))
	if s := f.Snapshot(t0); s.NoStatus != 1 || len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0], "1 robots without a status") {
		t.Errorf("a robot without status: %d, %q", s.NoStatus, s.Warnings())
	}
	if got := newFleet(t, Options{Robots: "amr-7"}).Filter(); got != "trust/v1/amr-7/+" {
		t.Errorf("one robot's filter %q", got)
	}
	for _, o := range []Options{{Robots: "["}, {Prefix: "trust/#"}, {MaxRobots: -1}} {
		if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), "fleet: ") {
			t.Errorf("%+v: %v", o, err)
		}
	}
}

func FuzzFeed(f *testing.F) {
	f.Add("trust/v1/r1/lidar0", []byte(`{"sensor":"lidar0","level":"OK","trusted":true,"seq":1,"heartbeat":true,"time":"2026-12-06T03:00:00Z","expires":"2027-01-01T00:00:00Z","reasons":[{"code":"x"}]}`))
	f.Add("trust/v1/r1/status", []byte("offline"))
	f.Add("trust/v1/r1/lidar0", []byte(nil))
	f.Fuzz(func(t *testing.T, topic string, data []byte) {
		fl, err := New(Options{MaxRobots: 2, MaxSensors: 2})
		if err != nil {
			t.Fatal(err)
		}
		fl.Feed("trust/v1/r1/status", []byte("online"))
		fl.Feed(topic, data)
		s := fl.Snapshot(t0)
		n := 0
		for _, c := range s.Levels {
			n += c
		}
		if n != len(s.Rows) || s.Robots > 2 {
			t.Fatalf("counts %v for %d rows, %d robots", s.Levels, len(s.Rows), s.Robots)
		}
	})
}
