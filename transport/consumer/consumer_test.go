package consumer

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/agent"
	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/wire"
)

var (
	t0     = time.Date(2026, 12, 6, 1, 0, 0, 0, time.UTC)
	topics = transport.Topics{Prefix: transport.DefaultPrefix("r1")}
)

const beat = 5 * time.Second

// state is a sensor state as trustd encodes it, made at `at`.
func state(t *testing.T, sensor string, level transport.Level, seq uint64, heartbeat bool, at time.Time) transport.Message {
	t.Helper()
	m, err := topics.StateMessage(&transport.State{Robot: "r1", Sensor: sensor, Level: level,
		Trusted: level == transport.LevelOK || level == transport.LevelWarn,
		Seq:     seq, Heartbeat: heartbeat, Time: at, Expires: at.Add(3 * beat)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func tracker(t *testing.T) *Tracker {
	t.Helper()
	tr, err := New(topics.Prefix)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func feed(t *testing.T, tr *Tracker, topic string, payload []byte) {
	t.Helper()
	if err := tr.Feed(topic, payload); err != nil {
		t.Fatal(err)
	}
}

func feedMsg(t *testing.T, tr *Tracker, m transport.Message) {
	t.Helper()
	feed(t, tr, m.Topic, m.Payload)
}

func want(t *testing.T, tr *Tracker, sensor string, now time.Time, r Reason) {
	t.Helper()
	if got := tr.Why(sensor, now); got != r {
		t.Errorf("%s at %v: %q, want %q", sensor, now.Sub(t0), got, r)
	}
	if tr.Trusted(sensor, now) != (r == Trusted) {
		t.Errorf("%s at %v: Trusted disagrees with Why", sensor, now.Sub(t0))
	}
}

// TestUnjudgedStart: before a first frame is judged trustd publishes the
// sensor STALE, and before anything arrives nothing is trusted.
func TestUnjudgedStart(t *testing.T) {
	tr := tracker(t)
	want(t, tr, "lidar0", t0, NoStatus)
	feed(t, tr, topics.Status(), []byte("online"))
	want(t, tr, "lidar0", t0, NoState)

	// The agent's own first report, through the wire encoding.
	m, err := topics.StateMessage(wire.State(&agent.SensorReport{Robot: "r1", Sensor: "lidar0",
		Judge: agent.Snapshot{State: decision.Unjudged()}, Seq: 1<<32 | 1, Time: t0, Expires: t0.Add(3 * beat)}))
	if err != nil {
		t.Fatal(err)
	}
	feed(t, tr, m.Topic, m.Payload)
	want(t, tr, "lidar0", t0, Untrusted)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 1<<32|2, false, t0.Add(time.Second)))
	want(t, tr, "lidar0", t0.Add(time.Second), Trusted)
}

// TestExpiry: a state is trusted until its expires, which a heartbeat of
// the same change moves on; after a crash nothing moves it.
func TestExpiry(t *testing.T) {
	tr := tracker(t)
	feed(t, tr, topics.Status(), []byte("online"))
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 7, false, t0))
	want(t, tr, "lidar0", t0.Add(3*beat-time.Nanosecond), Trusted)
	want(t, tr, "lidar0", t0.Add(3*beat), Expired)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 7, true, t0.Add(beat)))
	want(t, tr, "lidar0", t0.Add(3*beat), Trusted)
	want(t, tr, "lidar0", t0.Add(4*beat), Expired)
	// A heartbeat made earlier, arriving late, does not shorten it.
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 7, true, t0))
	want(t, tr, "lidar0", t0.Add(3*beat), Trusted)
}

// TestOffline: the last will (or a clean stop) makes every sensor
// untrusted, however fresh its state.
func TestOffline(t *testing.T) {
	tr := tracker(t)
	feed(t, tr, topics.Status(), []byte("online"))
	feedMsg(t, tr, state(t, "cam0", transport.LevelWarn, 3, false, t0))
	want(t, tr, "cam0", t0, Trusted)
	feed(t, tr, topics.Status(), []byte("offline"))
	want(t, tr, "cam0", t0, Offline)
	feed(t, tr, topics.Status(), []byte("online"))
	want(t, tr, "cam0", t0, Trusted)
}

// TestSeqOrdering: the larger seq is the newer state; older states,
// resent changes and heartbeats of older changes are ignored; a restart's
// numbers (a larger epoch) are newer.
func TestSeqOrdering(t *testing.T) {
	tr := tracker(t)
	feed(t, tr, topics.Status(), []byte("online"))
	feedMsg(t, tr, state(t, "lidar0", transport.LevelError, 1<<32|5, false, t0))
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 1<<32|4, false, t0.Add(time.Second))) // late
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 1<<32|4, true, t0.Add(time.Second)))  // heartbeat of the older change
	want(t, tr, "lidar0", t0.Add(time.Second), Untrusted)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 1<<32|6, false, t0.Add(2*time.Second)))
	want(t, tr, "lidar0", t0.Add(2*time.Second), Trusted)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelError, 1<<32|5, false, t0)) // resent after a lost PUBACK
	want(t, tr, "lidar0", t0.Add(2*time.Second), Trusted)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelStale, 2<<32|1, false, t0.Add(3*time.Second))) // restarted
	want(t, tr, "lidar0", t0.Add(3*time.Second), Untrusted)
	if seq, ok := tr.Seq("lidar0"); !ok || seq != 2<<32|1 {
		t.Errorf("seq %#x %v", seq, ok)
	}
}

func TestSummaryAndOtherTopics(t *testing.T) {
	tr := tracker(t)
	feed(t, tr, topics.Status(), []byte("online"))
	if tr.RobotTrusted(t0) {
		t.Error("robot trusted without a summary")
	}
	sum := func(trusted bool, seq uint64, at time.Time) []byte {
		lv := transport.LevelStale
		if trusted {
			lv = transport.LevelOK
		}
		m, err := topics.SummaryMessage(&transport.Summary{Robot: "r1", Level: lv, Trusted: trusted, Seq: seq, Time: at, Expires: at.Add(3 * beat)})
		if err != nil {
			t.Fatal(err)
		}
		return m.Payload
	}
	feed(t, tr, topics.Summary(), sum(true, 2, t0))
	feed(t, tr, topics.Summary(), sum(false, 1, t0))
	if !tr.RobotTrusted(t0) || tr.RobotTrusted(t0.Add(3*beat)) {
		t.Error("summary: seq or expiry rule not applied")
	}
	// Other robots, health, commands: ignored.
	for _, topic := range []string{"trust/v1/r2/lidar0", topics.Health(), topics.Command("recalibrate"), topics.Reply("recalibrate")} {
		if err := tr.Feed(topic, []byte("not json")); err != nil {
			t.Errorf("%s: %v", topic, err)
		}
	}
	// Bad payloads change nothing.
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 3, false, t0))
	topic := topics.Sensor("lidar0")
	cam := state(t, "cam0", transport.LevelStale, 9, false, t0).Payload
	for name, p := range map[string][]byte{
		"not json":    []byte("{"),
		"no seq":      []byte(`{"sensor":"lidar0","level":"STALE","trusted":false,"expires":"2027-01-01T00:00:00Z"}`),
		"no expires":  []byte(`{"sensor":"lidar0","level":"STALE","trusted":false,"seq":9}`),
		"bad level":   []byte(`{"sensor":"lidar0","level":"FINE","trusted":false,"seq":9,"expires":"2027-01-01T00:00:00Z"}`),
		"wrong topic": cam,
	} {
		if err := tr.Feed(topic, p); !errors.Is(err, ErrPayload) {
			t.Errorf("%s: %v", name, err)
		}
	}
	want(t, tr, "lidar0", t0, Trusted)
	// A cleared retained message forgets the sensor.
	feed(t, tr, topic, nil)
	want(t, tr, "lidar0", t0, NoState)
	if _, err := New("trust/#"); err == nil {
		t.Error("wildcard prefix accepted")
	}
}

func FuzzFeed(f *testing.F) {
	f.Add("trust/v1/r1/lidar0", []byte(`{"sensor":"lidar0","level":"OK","trusted":true,"seq":1,"heartbeat":true,"expires":"2027-01-01T00:00:00Z"}`))
	f.Add("trust/v1/r1/summary", []byte(`{"level":"OK","trusted":true,"seq":1,"expires":"2027-01-01T00:00:00Z"}`))
	f.Add("trust/v1/r1/status", []byte("online"))
	f.Fuzz(func(t *testing.T, topic string, data []byte) {
		tr, _ := New("trust/v1/r1")
		tr.Feed("trust/v1/r1/status", []byte("online"))
		err := tr.Feed(topic, data)
		if err != nil && !errors.Is(err, ErrPayload) {
			t.Fatalf("error %v does not wrap ErrPayload", err)
		}
		if err != nil && tr.Trusted("lidar0", t0) {
			t.Fatal("a bad payload made a sensor trusted")
		}
	})
}

// TestState: the tracker keeps what a fleet view shows of the latest
// change (level, cause, the first MaxReasons reasons), and a heartbeat of
// it moves its time and expiry on.
func TestState(t *testing.T) {
	tr := tracker(t)
	feed(t, tr, topics.Status(), []byte("online"))
	reasons := make([]transport.Reason, MaxReasons+3)
	for i := range reasons {
		reasons[i] = transport.Reason{Code: "score_high", Feature: fmt.Sprint("f", i), Value: float64(i)}
	}
	m, err := topics.StateMessage(&transport.State{Robot: "r1", Sensor: "cam0", Level: transport.LevelError,
		Cause: transport.CauseSensor, Reasons: reasons, Seq: 4, Time: t0, Expires: t0.Add(3 * beat)})
	if err != nil {
		t.Fatal(err)
	}
	feedMsg(t, tr, m)
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 2, false, t0))
	if got := tr.Sensors(); !slices.Equal(got, []string{"cam0", "lidar0"}) {
		t.Errorf("sensors %q", got)
	}
	s, ok, why := tr.State("cam0", t0)
	if !ok || why != Untrusted || s.Level != transport.LevelError || s.Cause != transport.CauseSensor ||
		s.Seq != 4 || !s.Time.Equal(t0) || !slices.Equal(s.Reasons, reasons[:MaxReasons]) {
		t.Errorf("cam0: %+v %v %q", s, ok, why)
	}
	feedMsg(t, tr, state(t, "lidar0", transport.LevelOK, 2, true, t0.Add(beat)))
	s, _, why = tr.State("lidar0", t0.Add(3*beat))
	if why != Trusted || !s.Time.Equal(t0.Add(beat)) || !s.Expires.Equal(t0.Add(4*beat)) {
		t.Errorf("lidar0 after a heartbeat: %+v %q", s, why)
	}
	if _, ok, why := tr.State("gps0", t0); ok || why != NoState {
		t.Errorf("unknown sensor: %v %q", ok, why)
	}
	if tr.Status() != "online" {
		t.Errorf("status %q", tr.Status())
	}
}
