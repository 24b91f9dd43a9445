package chaos

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
)

// chaosConsumer is the reference consumer of the chaos test: one paho
// session (QoS 1, CleanSession=false, so the broker keeps what arrives
// while it reconnects) feeding a consumer.Tracker per robot and the ledger.
type chaosConsumer struct {
	client   paho.Client
	ledger   *Ledger
	trackers map[string]*consumer.Tracker

	offline, replies, repliesOK, hostileSent, connects atomic.Int64

	// view is held while a message goes into both the tracker and the
	// ledger, and while a read asks both: a read between the two would
	// compare the tracker's new state with the ledger's old one.
	view sync.Mutex

	mu       sync.Mutex
	stale    []string // stale-trust reads, the first few
	accepted []string // replies ok: true to hostile commands, the first few
}

func startConsumer(t *testing.T, broker string, l *Ledger, robots ...string) *chaosConsumer {
	t.Helper()
	c := &chaosConsumer{ledger: l, trackers: map[string]*consumer.Tracker{}}
	for _, r := range robots {
		tr, err := consumer.New(transport.DefaultPrefix(r))
		if err != nil {
			t.Fatal(err)
		}
		c.trackers[r] = tr
	}
	opts := paho.NewClientOptions().AddBroker(broker).SetClientID("chaos-consumer").
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(200 * time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetKeepAlive(2 * time.Second).SetOrderMatters(true)
	opts.SetOnConnectHandler(func(cl paho.Client) {
		c.connects.Add(1)
		cl.Subscribe("trust/v1/+/#", 1, c.handle)
	})
	c.client = paho.NewClient(opts)
	if tok := c.client.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("consumer connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.client.Disconnect(100) })
	return c
}

func (c *chaosConsumer) handle(_ paho.Client, m paho.Message) {
	parts := strings.Split(m.Topic(), "/")
	if len(parts) < 4 {
		return
	}
	robot, rest := parts[2], strings.Join(parts[3:], "/")
	tr := c.trackers[robot]
	if tr == nil {
		return
	}
	switch {
	case rest == "status":
		if string(m.Payload()) == transport.StatusOffline {
			c.offline.Add(1)
		}
	case strings.HasPrefix(rest, "cmd/") && strings.HasSuffix(rest, "/reply"):
		c.replies.Add(1)
		var r struct {
			OK bool `json:"ok"`
		}
		if json.Unmarshal(m.Payload(), &r) == nil && r.OK {
			c.repliesOK.Add(1)
			c.mu.Lock()
			if len(c.accepted) < 5 {
				c.accepted = append(c.accepted, string(m.Payload()))
			}
			c.mu.Unlock()
		}
		return
	}
	c.view.Lock()
	defer c.view.Unlock()
	_ = tr.Feed(m.Topic(), m.Payload())
	if transport.CheckName(rest) == nil && rest != "summary" && rest != "health" && rest != "status" && len(m.Payload()) > 0 {
		_ = c.ledger.Receive(m.Payload())
	}
}

// readEvery asks the trackers about every sensor each period until the
// returned function is called.
func (c *chaosConsumer) readEvery(period time.Duration) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
			}
			for robot, tr := range c.trackers {
				for _, s := range sensorNames {
					c.view.Lock()
					now := time.Now()
					why := tr.Why(s, now)
					stale := c.ledger.Read(Key{robot, s}, now, why == consumer.Trusted)
					c.view.Unlock()
					if stale {
						c.mu.Lock()
						if len(c.stale) < 10 {
							c.stale = append(c.stale, fmt.Sprintf("%s/%s at %s", robot, s, now.Format("15:04:05.000")))
						}
						c.mu.Unlock()
					}
				}
			}
		}
	}()
	return func() { close(quit); <-done }
}

func (c *chaosConsumer) acceptedExamples() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.accepted...)
}

func (c *chaosConsumer) staleExamples() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.stale...)
}

// hostile publishes every hostile command to robot's command topics.
func (c *chaosConsumer) hostile(t *testing.T, robot string) {
	topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
	for _, h := range HostileCommands() {
		tok := c.client.Publish(topics.Command(h.Command), 1, false, h.Payload)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Logf("hostile %s: not published: %v", h.Name, tok.Error())
			continue
		}
		c.hostileSent.Add(1)
	}
}
