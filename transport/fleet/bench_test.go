package fleet

import (
	"fmt"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

// BenchmarkFeedHeartbeat is the cost of one sensor heartbeat, the bulk of a
// fleet's traffic, in a fleet of 1,000 robots of 3 sensors.
func BenchmarkFeedHeartbeat(b *testing.B) {
	f, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	var msgs []transport.Message
	for i := range 1000 {
		robot := fmt.Sprintf("r%04d", i)
		topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
		f.Feed(topics.Status(), []byte("online"))
		for j := range 3 {
			m, err := topics.StateMessage(&transport.State{Robot: robot, Sensor: fmt.Sprint("s", j), Level: transport.LevelOK,
				Trusted: true, Seq: 1<<32 | 1, Heartbeat: true, Time: t0, Expires: t0.Add(15 * time.Second),
				Model: transport.Model{ID: "vae-vlp16", Version: "2026.11.1"}, Window: transport.Window{Seconds: 1, Frames: 10, RateHz: 10}})
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, m)
		}
	}
	b.SetBytes(int64(len(msgs[0].Payload)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m := msgs[i%len(msgs)]
		f.Feed(m.Topic, m.Payload)
	}
}

// BenchmarkSnapshot is the cost of one redraw's data: every row of 1,000
// robots of 3 sensors, sorted.
func BenchmarkSnapshot(b *testing.B) {
	f, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		robot := fmt.Sprintf("r%04d", i)
		topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
		f.Feed(topics.Status(), []byte("online"))
		for j := range 3 {
			m, err := topics.StateMessage(&transport.State{Robot: robot, Sensor: fmt.Sprint("s", j), Level: transport.LevelOK,
				Trusted: true, Seq: 1, Time: t0, Expires: t0.Add(15 * time.Second)})
			if err != nil {
				b.Fatal(err)
			}
			f.Feed(m.Topic, m.Payload)
		}
	}
	b.ReportAllocs()
	for range b.N {
		if s := f.Snapshot(t0); len(s.Rows) != 3000 {
			b.Fatal(len(s.Rows))
		}
	}
}
