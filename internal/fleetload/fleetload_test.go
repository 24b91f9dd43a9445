package fleetload

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/fleet"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// TestFleetFollowsTheContract: a fleet view fed by the simulated robots
// sees every robot online and every sensor trusted by the consumer rule
// when it is OK or WARN, finds no malformed message, and sees the
// heartbeats refresh the states and the level changes arrive.
func TestFleetFollowsTheContract(t *testing.T) {
	b, err := broker.Start(context.Background(), broker.Config{Address: "127.0.0.1:0"}, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const robots, sensors, beat = 20, 3, time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	fl, err := fleet.New(fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Subscribed before the robots publish: the embedded broker races when a
	// subscription's retained messages are read while others are retained.
	sub, err := mqtt.Subscribe(ctx, mqtt.SubscriberConfig{Broker: b.URL()}, fl.Filter(), func(m mqtt.Message) { fl.Feed(m.Topic, m.Payload) })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	l, err := Start(ctx, Options{Broker: b.URL(), Robots: robots, Sensors: sensors, Heartbeat: beat, ChangeEvery: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * beat)
	s := fl.Snapshot(time.Now())
	if s.Robots != robots || s.Online != robots || len(s.Rows) != robots*sensors || s.Malformed != 0 {
		t.Fatalf("%d robots (%d online), %d rows, %d malformed: %q", s.Robots, s.Online, len(s.Rows), s.Malformed, s.Warnings())
	}
	for _, r := range s.Rows {
		wantTrusted := r.Published == transport.LevelOK || r.Published == transport.LevelWarn
		if r.Trusted != wantTrusted || r.Level != r.Published || time.Since(r.Updated) > 2*beat || r.Seq>>32 != 1 {
			t.Errorf("%s/%s: %+v", r.Robot, r.Sensor, r)
		}
	}
	st := l.Stats()
	l.Stop()
	// Every robot sent its first states, then at least 3 heartbeats, each of
	// sensors states and a summary; the changes came on top.
	if minimum := uint64(robots * (1 + 4*(sensors+1))); st.Published < minimum || st.Changes == 0 || st.Invalid != 0 {
		t.Errorf("stats %+v, want at least %d published and some changes", st, minimum)
	}
	if st.Acked == 0 || st.Acked > st.Published {
		t.Errorf("stats %+v: acknowledgements do not add up", st)
	}
	// A clean stop: no last will, the robots stay "online" in the retained status.
	time.Sleep(100 * time.Millisecond)
	if s := fl.Snapshot(time.Now()); s.Offline != 0 {
		t.Errorf("%d robots offline after a clean stop", s.Offline)
	}
	if _, err := Start(ctx, Options{Broker: "ssl://x:1"}); err == nil {
		t.Error("ssl:// accepted")
	}
}

// TestProc: the process's own CPU time grows with work, and its peak
// resident set is at least what it holds now.
func TestProc(t *testing.T) {
	pid := os.Getpid()
	c0, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	busy := make([]byte, 64<<20)
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
		for i := range busy {
			busy[i]++
		}
	}
	c1, err := CPUTime(pid)
	if err != nil {
		t.Fatal(err)
	}
	if d := c1 - c0; d < 100*time.Millisecond {
		t.Errorf("CPU time grew by %v over 300 ms of work", d)
	}
	if rss, err := PeakRSS(pid); err != nil || rss < int64(len(busy)) {
		t.Errorf("peak RSS %d (%v), holding %d", rss, err, len(busy))
	}
	if _, err := CPUTime(-1); err == nil {
		t.Error("no error for pid -1")
	}
}
