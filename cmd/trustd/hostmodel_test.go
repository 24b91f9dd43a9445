package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
)

// TestHostModelLearnsJudgesAndRelearns runs trustd with a 15 s learning
// phase: <prefix>/health says it is learning and how far, then judging
// with a model stored in the state directory; relearn-host starts over.
func TestHostModelLearnsJudgesAndRelearns(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	// A slow LiDAR: learning pauses while a sensor is not OK, and a busy
	// test machine makes a fast one late.
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "500ms")
	b, _ := os.ReadFile(cfgPath)
	cfg := strings.Replace(string(b), "mqtt:\n", "mqtt:\n  commands: [relearn-host]\n", 1) +
		"host:\n  period: 100ms\n  learn_for: 15s\n"
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	d := startDaemon(t, cfgPath)
	waitFor(t, msgs, "READY=1", 10*time.Second)

	type health struct {
		Message  string `json:"message"`
		Phase    string `json:"phase"`
		Learning *struct {
			Samples, Target int
		} `json:"learning"`
	}
	got := make(chan health, 64)
	replies := make(chan string, 4)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)).SetClientID("test-host"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	sub.Subscribe("trust/v1/testbot/health", 1, func(_ paho.Client, m paho.Message) {
		var h health
		if json.Unmarshal(m.Payload(), &h) == nil {
			select {
			case got <- h:
			default:
			}
		}
	})
	sub.Subscribe("trust/v1/testbot/cmd/relearn-host/reply", 1, func(_ paho.Client, m paho.Message) { replies <- string(m.Payload()) })

	wait := func(what string, ok func(health) bool) health {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case h := <-got:
				if ok(h) {
					return h
				}
			case <-deadline:
				t.Fatalf("no health message %s; stderr:\n%s", what, d.stderr.String())
			}
		}
	}
	h := wait("while learning", func(h health) bool { return h.Phase == "learning" && h.Learning != nil && h.Learning.Samples > 0 })
	if h.Learning.Target != 150 || !strings.Contains(h.Message, fmt.Sprintf("learning: %d of 150 samples", h.Learning.Samples)) {
		t.Errorf("learning message %+v %q", h.Learning, h.Message)
	}
	wait("judging", func(h health) bool { return h.Phase == "judging" })
	if _, err := os.Stat(filepath.Join(dir, "state", "host", "model.bin")); err != nil {
		t.Errorf("learnt model not stored: %v", err)
	}

	sub.Publish("trust/v1/testbot/cmd/relearn-host", 1, false, `{"id":"r1"}`)
	select {
	case r := <-replies:
		if !strings.Contains(r, `"ok":true`) || !strings.Contains(r, `"phase":"learning"`) {
			t.Errorf("relearn-host reply %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reply to relearn-host")
	}
	wait("learning again", func(h health) bool { return h.Phase == "learning" })

	d.stop(t)
}
