package mqtt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/transport/broker"
)

type received struct {
	mu   sync.Mutex
	msgs []Message
}

func (r *received) add(m Message) {
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
}

func (r *received) get() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// publishRaw publishes payload at QoS 1 and returns once the broker has
// handed it to every subscriber. A broker acknowledges a publish before it
// hands it on, so a subscriber arriving right after the acknowledgement may
// still get it live as well as retained; a second publish of the same
// client, acknowledged, is processed after the first is handed on.
func publishRaw(t *testing.T, url, topic, payload string, retained bool) {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("pub-" + t.Name()))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	for _, p := range []struct {
		topic, payload string
		retained       bool
	}{{topic, payload, retained}, {"test/fence", "", false}} {
		if tok := c.Publish(p.topic, 1, p.retained, p.payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", p.topic, tok.Error())
		}
	}
}

// TestSubscriberRetainedThenLive: the retained messages arrive marked as
// such, WaitRetained returns after them, live messages arrive unmarked.
func TestSubscriberRetainedThenLive(t *testing.T) {
	b := startBroker(t, broker.Config{})
	publishRaw(t, b.URL(), "trust/v1/r1/status", "online", true)
	publishRaw(t, b.URL(), "trust/v1/r2/status", "offline", true)
	var got received
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Subscribe(ctx, SubscriberConfig{Broker: b.URL()}, "trust/v1/+/status", got.add)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WaitRetained(ctx, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	// The broker may also hand a message published just before the
	// subscription to it live: such a copy must repeat a retained one.
	first := got.get()
	retained := 0
	for _, m := range first {
		switch {
		case m.Retained:
			retained++
		case !slices.ContainsFunc(first, func(r Message) bool {
			return r.Retained && r.Topic == m.Topic && string(r.Payload) == string(m.Payload)
		}):
			t.Fatalf("a live message before any was published live: %+v", first)
		}
	}
	if retained != 2 || !first[0].Retained || !first[1].Retained {
		t.Fatalf("retained: %+v", first)
	}
	publishRaw(t, b.URL(), "trust/v1/r1/status", "offline", true)
	deadline := time.Now().Add(5 * time.Second)
	for len(got.get()) <= len(first) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m := got.get()
	if len(m) != len(first)+1 {
		t.Fatalf("live: %+v", m)
	}
	if l := m[len(first)]; l.Retained || l.Topic != "trust/v1/r1/status" || string(l.Payload) != "offline" {
		t.Fatalf("live: %+v", m)
	}
	if !s.Connected() || s.Connects() != 1 {
		t.Errorf("connected %v, %d connects", s.Connected(), s.Connects())
	}
}

func TestSubscriberRefusals(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := startBroker(t, broker.Config{Users: []broker.User{{Username: "ops", PasswordFile: pw, ACL: map[string]string{"trust/+/+/status": "read"}}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nop := func(Message) {}
	var cerr *ConfigError
	if _, err := Subscribe(ctx, SubscriberConfig{Broker: "http://x:1"}, "a/#", nop); !errors.As(err, &cerr) {
		t.Errorf("bad URL: %v", err)
	}
	if _, err := Subscribe(ctx, SubscriberConfig{Broker: b.URL(), CertFile: "c.pem"}, "a/#", nop); err == nil {
		t.Error("TLS files on tcp:// accepted")
	}
	var conn *ConnectError
	if _, err := Subscribe(ctx, SubscriberConfig{Broker: b.URL()}, "a/#", nop); !errors.As(err, &conn) || !strings.Contains(err.Error(), "username or password") {
		t.Errorf("no credentials: %v", err)
	}
	ok := SubscriberConfig{Broker: b.URL(), Username: "ops", PasswordFile: pw}
	if _, err := Subscribe(ctx, ok, "trust/v1/+/+", nop); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("filter outside the ACL: %v", err)
	}
	s, err := Subscribe(ctx, ok, "trust/v1/+/status", nop)
	if err != nil {
		t.Fatalf("allowed filter: %v", err)
	}
	s.Close()
}
