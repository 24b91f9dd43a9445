package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/agent/health"
	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otapaho"
	"github.com/sensortrust/trustagent/internal/modelbundle"
)

// hostFleetBundle trains a host model on a simulated robot computer, as
// trustctl train --host does on a recorded sample log, and returns it as
// a host bundle signed by k (unsigned when k is nil).
func hostFleetBundle(t *testing.T, k *firmware.PrivateKey, version uint64) ([]byte, *health.Model) {
	t.Helper()
	m := &hostsim.Machine{Seed: 11}
	t0 := time.Date(2026, 6, 1, 6, 0, 0, 0, time.UTC)
	rows := make([][]float64, 300)
	for i := range rows {
		rows[i] = m.Sample(t0.Add(time.Duration(i) * time.Second)).Features(nil)
	}
	opts := host.LearnOptions{ID: "host-fleet"}
	opts.Train.Epochs, opts.Train.Seed = 10, 1
	hm, _, err := host.Train(context.Background(), rows, opts)
	if err != nil {
		t.Fatal(err)
	}
	data, err := modelbundle.BuildHost(modelbundle.HostSpec{Model: hm, ModelID: "host-fleet", Version: version, Probes: rows[:2], Samples: len(rows), Period: time.Second, AlarmsPerDay: 1})
	if err != nil {
		t.Fatal(err)
	}
	if k == nil {
		return data, hm
	}
	signed, err := firmware.Sign(data, k)
	if err != nil {
		t.Fatal(err)
	}
	return signed, hm
}

// hostHealth is what the test reads of <prefix>/health and /status.
type hostHealth struct {
	Phase     string  `json:"phase"`
	Threshold float64 `json:"threshold"`
	Model     struct {
		ID, Version, Source string
	} `json:"model"`
}

type hostStatus struct {
	Host struct {
		Phase  string `json:"phase"`
		Model  string `json:"model"`
		Source string `json:"source"`
	} `json:"host"`
}

// TestHostBundleOverTheAir pushes a signed host bundle to a trustd that is
// learning its host model, through the model command as any bundle: the
// learning stops and the pushed model judges, named with its source on
// <prefix>/health and /status. Unsigned and tampered host bundles are
// refused with a log line and the pushed model keeps judging, also after a
// restart; relearn-host retires it, and a restart keeps learning.
func TestHostBundleOverTheAir(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	key, keys := fleetKey(t, dir)
	mqttPort, httpPort := freePorts(t)
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "200ms")
	b, _ := os.ReadFile(cfgPath)
	cfg := strings.Replace(string(b), "  allow_unsigned: true\n", "  trusted_keys: "+keys+"\n", 1)
	cfg = strings.Replace(cfg, "mqtt:\n", "mqtt:\n  commands: [model, relearn-host]\n", 1) + "host:\n  period: 100ms\n  learn_for: 1h\n"
	os.WriteFile(cfgPath, []byte(cfg), 0o644)
	broker := fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)
	statusURL := fmt.Sprintf("http://127.0.0.1:%d/status", httpPort)
	prefix := "trust/v1/testbot"

	d := startDaemon(t, cfgPath)
	waitFor(t, msgs, "READY=1", 15*time.Second)
	healths := watchHealth(t, broker, "h1")
	waitHealth(t, healths, d, "learning on the robot", func(h hostHealth) bool { return h.Phase == "learning" })

	signed, fleet := hostFleetBundle(t, key, 1)
	op := connectPaho(t, broker, "operator")
	opts := ota.SenderOptions{Prefix: prefix, ChunkSize: 16 << 10, AckTimeout: 3 * time.Second, Retries: 2, CommitTimeout: 30 * time.Second}
	res, err := ota.Push(context.Background(), otapaho.New(op), signed, opts)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, d.stderr.String())
	}
	if a := res.Status.Active; a == nil || a.ModelID != "host-fleet" || a.Version != 1 || a.Sensor != "host" {
		t.Fatalf("robot reports active %+v", res.Status.Active)
	}
	judged := func(h hostHealth) bool {
		return h.Phase == "judging" && h.Model.ID == "host-fleet" && h.Model.Version == "1" && h.Model.Source == "bundle" && h.Threshold == fleet.Warn
	}
	waitHealth(t, healths, d, "judging with the pushed model", judged)
	checkHostStatus(t, statusURL, "host-fleet@1", "bundle")

	// Unsigned and tampered host bundles, and one whose model reads
	// another build's features, are refused; the pushed model keeps
	// judging.
	unsigned, _ := hostFleetBundle(t, nil, 2)
	tampered, _ := hostFleetBundle(t, key, 2)
	tampered[100] ^= 1 // inside the model section: the content hash no longer matches
	for _, c := range []struct {
		name string
		data []byte
		code string
	}{{"unsigned", unsigned, "unsigned"}, {"tampered", tampered, "tampered"}, {"of another feature set", otherFeatures(t, key, 3), "relearn the host model"}} {
		_, err := ota.Push(context.Background(), otapaho.New(op), c.data, opts)
		var rej *ota.RejectedError
		if !errors.As(err, &rej) || !strings.Contains(err.Error(), c.code) {
			t.Errorf("%s host bundle: %v, want a %s rejection", c.name, err, c.code)
		}
	}
	op.Disconnect(0)
	if !strings.Contains(d.stderr.String(), "model bundle refused over the air") {
		t.Errorf("no log line for the refused bundles:\n%s", d.stderr.String())
	}
	waitHealth(t, healths, d, "still judging with the pushed model", judged)
	checkHostStatus(t, statusURL, "host-fleet@1", "bundle")
	d.stop(t)

	// A restart judges with the pushed model at once.
	d = startDaemon(t, cfgPath)
	waitFor(t, msgs, "READY=1", 15*time.Second)
	checkHostStatus(t, statusURL, "host-fleet@1", "bundle")
	healths = watchHealth(t, broker, "h2")
	waitHealth(t, healths, d, "judging with the pushed model after a restart", judged)

	// relearn-host goes back to learning here, also after a restart.
	sub := connectPaho(t, broker, "relearner")
	replies := make(chan string, 1)
	sub.Subscribe(prefix+"/cmd/relearn-host/reply", 1, func(_ paho.Client, m paho.Message) { replies <- string(m.Payload()) })
	sub.Publish(prefix+"/cmd/relearn-host", 1, false, `{"id":"r1"}`)
	select {
	case r := <-replies:
		if !strings.Contains(r, `"ok":true`) {
			t.Errorf("relearn-host reply %s", r)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no reply to relearn-host")
	}
	sub.Disconnect(0)
	waitHealth(t, healths, d, "learning again", func(h hostHealth) bool { return h.Phase == "learning" && h.Model.Source == "" })
	d.stop(t)
	d = startDaemon(t, cfgPath)
	waitFor(t, msgs, "READY=1", 15*time.Second)
	checkHostStatus(t, statusURL, "", "")
	if _, err := os.Stat(filepath.Join(dir, "state", "models", "host", "slot-a.bundle")); err != nil {
		t.Errorf("the pushed bundle is not kept in the state directory: %v", err)
	}
	d.stop(t)
}

// watchHealth subscribes to the robot's health messages.
func watchHealth(t *testing.T, broker, id string) <-chan hostHealth {
	t.Helper()
	c := connectPaho(t, broker, "watch-"+id)
	t.Cleanup(func() { c.Disconnect(0) })
	got := make(chan hostHealth, 256)
	c.Subscribe("trust/v1/testbot/health", 1, func(_ paho.Client, m paho.Message) {
		var h hostHealth
		if json.Unmarshal(m.Payload(), &h) == nil {
			select {
			case got <- h:
			default:
			}
		}
	})
	return got
}

func waitHealth(t *testing.T, got <-chan hostHealth, d *daemonRun, what string, ok func(hostHealth) bool) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	var last hostHealth
	for {
		select {
		case h := <-got:
			if ok(h) {
				return
			}
			last = h
		case <-deadline:
			t.Fatalf("no health message %s (last %+v); stderr:\n%s", what, last, d.stderr.String())
		}
	}
}

// checkHostStatus checks what /status says of the host model.
func checkHostStatus(t *testing.T, url, model, source string) {
	t.Helper()
	code, body := httpGet(t, url)
	var st hostStatus
	if code != 200 || json.Unmarshal([]byte(body), &st) != nil {
		t.Fatalf("/status = %d %q", code, body)
	}
	if st.Host.Model != model || st.Host.Source != source {
		t.Errorf("/status host model %q from %q, want %q from %q", st.Host.Model, st.Host.Source, model, source)
	}
	if want := map[bool]string{true: "judging", false: "learning"}[model != ""]; st.Host.Phase != want {
		t.Errorf("/status host phase %q, want %q", st.Host.Phase, want)
	}
}

// otherFeatures is a signed host bundle whose model was trained on another
// build's host features.
func otherFeatures(t *testing.T, k *firmware.PrivateKey, version uint64) []byte {
	t.Helper()
	names := append([]string(nil), host.Names()...)
	names[0] = "a_feature_of_another_build"
	rows := make([][]float64, 200)
	for i := range rows {
		rows[i] = make([]float64, len(names))
		for j := range rows[i] {
			rows[i][j] = float64((i*7+j*3)%11) / 10
		}
	}
	m, _, err := health.Train(rows, names, health.TrainOptions{Epochs: 2, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	b := &firmware.Bundle{Kind: firmware.KindHost, Representation: modelbundle.HostRepresentation, ModelID: "host-fleet", Version: version}
	b.SetSection(firmware.SectionHealth, mb)
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := firmware.Sign(data, k)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}
