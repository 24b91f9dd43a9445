package mqtt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// BenchmarkClientPublishQoS1 is one QoS 1 publish acknowledged by the
// embedded broker on loopback, without the outbox.
func BenchmarkClientPublishQoS1(b *testing.B) {
	br, err := broker.Start(context.Background(), broker.Config{Address: "127.0.0.1:0"}, broker.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	cfg := mqtt.DefaultConfig("r1")
	cfg.Broker = br.URL()
	c, err := mqtt.New(cfg, mqtt.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Connect(ctx); err != nil {
		b.Fatal(err)
	}
	defer c.Close(ctx)
	m, _ := c.Topics().StateMessage(&transport.State{Robot: "r1", Sensor: "lidar0", Level: transport.LevelOK, Expires: time.Now().Add(time.Minute)})
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
}

// latency measures decision → subscriber: the agent fills a State, the
// stack (outbox, paho, broker) carries it, a paho subscriber on loopback
// decodes it. One message in flight at a time; reports p50 and p99. A level
// change is fsync'd to the outbox before it leaves; a heartbeat is not.
func latency(b *testing.B, url string, heartbeat bool) {
	dir := b.TempDir()
	cfg := mqtt.DefaultConfig("r1")
	cfg.Broker, cfg.OutboxDir = url, dir
	st, err := mqtt.OpenStack(context.Background(), cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close(context.Background())

	got := make(chan uint64, 16)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(fmt.Sprintf("bench-%d", time.Now().UnixNano())))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatalf("subscriber: %v", tok.Error())
	}
	defer sub.Disconnect(50)
	tok := sub.Subscribe(st.Topics.Sensor("lidar0"), 1, func(_ paho.Client, m paho.Message) {
		var s struct {
			Seq       uint64 `json:"seq"`
			Heartbeat bool   `json:"heartbeat"`
		}
		if json.Unmarshal(m.Payload(), &s) == nil && s.Heartbeat == heartbeat {
			got <- s.Seq
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		b.Fatalf("subscribe: %v", tok.Error())
	}
	ctx := context.Background()
	beats := uint64(0)
	publish := func() (uint64, time.Time) {
		t0 := time.Now()
		s := &transport.State{Robot: "r1", Sensor: "lidar0", Level: transport.LevelWarn, Time: t0, Expires: t0.Add(time.Minute), Heartbeat: heartbeat}
		if heartbeat {
			beats++
			s.Seq = beats // numbered here only so the subscriber can match them
		} else {
			s.Seq = st.Seq.Next("lidar0")
		}
		m, err := st.Topics.StateMessage(s)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Outbox.Publish(ctx, m); err != nil {
			b.Fatal(err)
		}
		return s.Seq, t0
	}
	wait := func(seq uint64) {
		for {
			select {
			case n := <-got:
				if n == seq {
					return
				}
			case <-time.After(10 * time.Second):
				b.Fatalf("change %d not received", seq)
			}
		}
	}
	seq, _ := publish() // warm up: connection, retained message
	wait(seq)
	var lat []time.Duration
	for b.Loop() {
		seq, t0 := publish()
		wait(seq)
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

func embedded(b *testing.B) string {
	br, err := broker.Start(context.Background(), broker.Config{Address: "127.0.0.1:0"}, broker.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { br.Close() })
	return br.URL()
}

func BenchmarkLatencyEmbeddedBroker(b *testing.B)          { latency(b, embedded(b), false) }
func BenchmarkLatencyEmbeddedBrokerHeartbeat(b *testing.B) { latency(b, embedded(b), true) }

func BenchmarkLatencyMosquitto(b *testing.B) {
	latency(b, mosquittotest.Start(b, nil).URL("tcp"), false)
}

func BenchmarkLatencyMosquittoHeartbeat(b *testing.B) {
	latency(b, mosquittotest.Start(b, nil).URL("tcp"), true)
}
