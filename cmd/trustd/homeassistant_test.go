package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/transport/homeassistant"
)

// TestHomeAssistantDiscovery runs trustd with mqtt.homeassistant enabled: a
// Home Assistant on the broker finds one binary_sensor per sensor and one
// for the robot, whose state topics carry trustd's payloads with the
// trusted flag the templates read, and whose availability topic says
// online.
func TestHomeAssistantDiscovery(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "100ms")
	b, _ := os.ReadFile(cfgPath)
	cfg := strings.Replace(string(b), "mqtt:\n", "mqtt:\n  homeassistant:\n    enabled: true\n", 1)
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr := startTrustd(t, cfgPath)
	waitFor(t, msgs, "READY=1", 10*time.Second)

	got := make(chan [2]string, 64)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)).SetClientID("test-ha"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	tok := sub.SubscribeMultiple(map[string]byte{"homeassistant/#": 1, "trust/v1/testbot/#": 1}, func(_ paho.Client, m paho.Message) {
		select {
		case got <- [2]string{m.Topic(), string(m.Payload())}:
		default:
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	configs := map[string]homeassistant.Config{}
	payloads := map[string]string{}
	for deadline := time.After(10 * time.Second); len(configs) < 2 || payloads["trust/v1/testbot/lidar0"] == "" || payloads["trust/v1/testbot/summary"] == "" || payloads["trust/v1/testbot/status"] == ""; {
		select {
		case m := <-got:
			if strings.HasPrefix(m[0], "homeassistant/") {
				var c homeassistant.Config
				if err := json.Unmarshal([]byte(m[1]), &c); err != nil {
					t.Fatalf("%s: %v", m[0], err)
				}
				configs[m[0]] = c
			} else {
				payloads[m[0]] = m[1]
			}
		case <-deadline:
			t.Fatalf("configs %v, payloads %v; stderr:\n%s", configs, payloads, stderr.String())
		}
	}
	for _, topic := range []string{"homeassistant/binary_sensor/trustagent_testbot/lidar0/config", "homeassistant/binary_sensor/trustagent_testbot/summary/config"} {
		c, ok := configs[topic]
		if !ok {
			t.Errorf("no %s among %v", topic, configs)
			continue
		}
		var p map[string]any
		if err := json.Unmarshal([]byte(payloads[c.StateTopic]), &p); err != nil {
			t.Errorf("%s: state topic %s: %v", topic, c.StateTopic, err)
		} else if _, ok := p["trusted"].(bool); !ok {
			t.Errorf("%s: state topic %s has no trusted flag: %v", topic, c.StateTopic, p)
		}
		if payloads[c.AvailabilityTopic] != c.PayloadAvailable {
			t.Errorf("%s: availability %s is %q, want %q", topic, c.AvailabilityTopic, payloads[c.AvailabilityTopic], c.PayloadAvailable)
		}
	}
}
