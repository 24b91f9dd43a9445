package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestSimulatedHostFault runs trustd as make run does, shortened: a
// simulated host (host.source: sim) learns for 20 s, and its fan stops
// 10 s after the host model starts judging. Until then the host is OK;
// then <prefix>/health goes WARN or ERROR blaming the temperature, and
// the robot summary's cause becomes host.
func TestSimulatedHostFault(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	const faultAt = 10 * time.Second
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "500ms")
	appendConfig(t, cfgPath, fmt.Sprintf("host:\n  period: 100ms\n  learn_for: 20s\n  source: sim\n  faults:\n    - fault: fan_stop\n      at: %v\n      for: 10m\n", faultAt))

	d := startDaemon(t, cfgPath)
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
		at    time.Time
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
				case got <- msg{m.Topic(), p, time.Now()}:
				default:
				}
			}
		})
	}

	var judging time.Time // first health message of the judging phase
	var hostBad, summaryHost bool
	deadline := time.After(2 * time.Minute)
	for !hostBad || !summaryHost {
		select {
		case m := <-got:
			health := m.topic == "trust/v1/testbot/health"
			if health && m.p.Phase == "judging" && judging.IsZero() {
				judging = m.at
			}
			if judging.IsZero() {
				continue
			}
			since := m.at.Sub(judging)
			switch {
			case health && since < faultAt-time.Second:
				if m.p.Level != "OK" {
					t.Errorf("host %s %v after judging began, before the fan stopped: %s", m.p.Level, since, m.p.Message)
				}
			case health && since > faultAt && (m.p.Level == "WARN" || m.p.Level == "ERROR") && strings.Contains(m.p.Message, "CPU temperature"):
				hostBad = true
			case !health && since > faultAt && m.p.Cause == "host":
				if m.p.Level != "WARN" && m.p.Level != "ERROR" {
					t.Errorf("summary %s with cause host", m.p.Level)
				}
				summaryHost = true
			}
		case <-deadline:
			t.Fatalf("judging from %v; host WARN/ERROR on the temperature seen %v, summary cause host seen %v; stderr:\n%s",
				judging, hostBad, summaryHost, d.stderr.String())
		}
	}

	d.stop(t)
}
