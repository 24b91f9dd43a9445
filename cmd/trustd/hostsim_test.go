package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestSimulatedHostFault runs trustd as make run does, shortened: a
// simulated host (host.source: sim) learns for 10 s, then a fan stops at
// 40 s. Once the fan is stopped, <prefix>/health goes WARN or ERROR
// blaming the temperature, and the robot summary's cause becomes host;
// before, the host is OK.
func TestSimulatedHostFault(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePort(t), freePort(t)
	const faultAt = 40 * time.Second
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "500ms")
	b, _ := os.ReadFile(cfgPath)
	cfg := string(b) + fmt.Sprintf("host:\n  period: 100ms\n  learn_for: 10s\n  source: sim\n  faults:\n    - fault: fan_stop\n      at: %v\n      for: 10m\n", faultAt)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- run(ctx, []string{"--config", cfgPath}, &stdout, &stderr, func(string) string { return "" })
	}()
	waitFor(t, msgs, "READY=1", 10*time.Second)

	type payload struct {
		Level   string `json:"level"`
		Message string `json:"message"`
		Phase   string `json:"phase"`
		Cause   string `json:"cause"`
	}
	type msg struct {
		topic string
		p     payload
		at    time.Duration
	}
	got := make(chan msg, 256)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)).SetClientID("test-hostsim"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	for _, topic := range []string{"trust/v1/testbot/health", "trust/v1/testbot/summary"} {
		sub.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) {
			var p payload
			if json.Unmarshal(m.Payload(), &p) == nil {
				select {
				case got <- msg{m.Topic(), p, time.Since(start)}:
				default:
				}
			}
		})
	}

	var judgingAt time.Duration
	var hostBad, summaryHost bool
	deadline := time.After(faultAt + 60*time.Second)
	for !hostBad || !summaryHost {
		select {
		case m := <-got:
			switch {
			case m.topic == "trust/v1/testbot/health" && m.p.Phase == "judging" && judgingAt == 0:
				judgingAt = m.at
				if judgingAt > faultAt {
					t.Fatalf("the host model judges only from %v, after the fault at %v; stderr:\n%s", judgingAt, faultAt, stderr.String())
				}
			case m.topic == "trust/v1/testbot/health" && m.p.Phase == "judging" && m.at < faultAt-time.Second:
				if m.p.Level != "OK" {
					t.Errorf("host %s at %v, before the fault: %s", m.p.Level, m.at, m.p.Message)
				}
			case m.topic == "trust/v1/testbot/health" && m.at > faultAt && (m.p.Level == "WARN" || m.p.Level == "ERROR") &&
				strings.Contains(m.p.Message, "CPU temperature"):
				hostBad = true
			case m.topic == "trust/v1/testbot/summary" && m.at > faultAt && m.p.Cause == "host":
				if m.p.Level != "WARN" && m.p.Level != "ERROR" {
					t.Errorf("summary %s with cause host", m.p.Level)
				}
				summaryHost = true
			}
		case <-deadline:
			t.Fatalf("after the fan stopped at %v: host WARN/ERROR seen %v, summary cause host seen %v; stderr:\n%s",
				faultAt, hostBad, summaryHost, stderr.String())
		}
	}
	if judgingAt == 0 {
		t.Error("no health message in the judging phase")
	}

	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit code %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("trustd did not stop within 5 s")
	}
}
