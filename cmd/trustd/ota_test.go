package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otapaho"
	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/sensors"
)

// fleetKey makes a fleet signing key and a trusted-keys directory under
// dir holding only its public half, as a robot has it.
func fleetKey(t *testing.T, dir string) (*firmware.PrivateKey, string) {
	t.Helper()
	key, err := firmware.GenerateKey("fleet", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(dir, "keys")
	os.MkdirAll(keys, 0o755)
	if err := firmware.WriteKeyPair(filepath.Join(keys, "fleet"), key); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(keys, "fleet.key"))
	return key, keys
}

// signedVersion returns the default LiDAR bundle re-versioned and signed by k.
func signedVersion(t *testing.T, k *firmware.PrivateKey, version uint64) []byte {
	t.Helper()
	data, err := os.ReadFile("../../deploy/models/lidar.bundle")
	if err != nil {
		t.Fatalf("default model: %v (run make models)", err)
	}
	b, err := firmware.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b.Version, b.Signatures = version, nil
	unsigned, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	signed, err := firmware.Sign(unsigned, k)
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// TestOTAUpdateOfRunningDaemon pushes a signed model to a running trustd
// through a real mosquitto, interrupts the push half way, resumes it, and
// checks that the new model is active, reported on model/status and named
// in the sensor's trust messages. An unsigned bundle is refused and the
// model keeps running.
func TestOTAUpdateOfRunningDaemon(t *testing.T) {
	broker := mosquittotest.Start(t, nil)
	msgs := fakeSystemd(t)
	dir := t.TempDir()

	key, keys := fleetKey(t, dir)
	models := filepath.Join(dir, "models")
	os.MkdirAll(models, 0o755)
	os.WriteFile(filepath.Join(models, "lidar.bundle"), signedVersion(t, key, 1), 0o644)

	cfg := fmt.Sprintf(`robot: otabot
state_dir: %s
http:
  listen: ""
mqtt:
  broker: %s
  heartbeat: 300ms
  commands: [model]
models:
  dir: %s
  trusted_keys: %s
sensors:
  - name: lidar0
    driver: sim-lidar
    period: 100ms
`, filepath.Join(dir, "state"), broker.URL("tcp"), models, keys)
	cfgPath := filepath.Join(dir, "trustd.yaml")
	os.WriteFile(cfgPath, []byte(cfg), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--config", cfgPath}, &syncBuffer{}, &stderr, func(string) string { return "" })
	}()
	waitFor(t, msgs, "READY=1", 15*time.Second)
	waitModelVersion(t, broker.URL("tcp"), "1", &stderr)

	prefix := "trust/v1/otabot"
	opts := ota.SenderOptions{Prefix: prefix, ChunkSize: 16 << 10, AckTimeout: 3 * time.Second, Retries: 2, CommitTimeout: 30 * time.Second}
	v2 := signedVersion(t, key, 2)

	// The operator's push dies half way.
	first := connectPaho(t, broker.URL("tcp"), "operator-1")
	pctx, pcancel := context.WithCancel(context.Background())
	o1 := opts
	o1.Progress = func(stored, total int) {
		if stored >= total/2 {
			pcancel()
		}
	}
	if _, err := ota.Push(pctx, otapaho.New(first), v2, o1); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted push: %v", err)
	}
	first.Disconnect(0)

	// A second push resumes where the robot stopped and installs.
	second := connectPaho(t, broker.URL("tcp"), "operator-2")
	defer second.Disconnect(0)
	res, err := ota.Push(context.Background(), otapaho.New(second), v2, opts)
	if err != nil {
		t.Fatalf("resumed push: %v\n%s", err, stderr.String())
	}
	if res.ResumedFrom == 0 || res.Sent >= len(v2) {
		t.Errorf("second push did not resume: from %d, sent %d of %d", res.ResumedFrom, res.Sent, len(v2))
	}
	if res.Status.State != ota.StateInstalled || res.Status.Active == nil || res.Status.Active.Version != 2 {
		t.Fatalf("final status %+v", res.Status)
	}
	t.Logf("bundle %d bytes: resumed at %d, sent %d", len(v2), res.ResumedFrom, res.Sent)
	waitModelVersion(t, broker.URL("tcp"), "2", &stderr)

	// An unsigned bundle is refused; version 2 keeps running.
	b, _ := firmware.Parse(v2)
	b.Version, b.Signatures = 3, nil
	unsigned, _ := b.MarshalBinary()
	_, err = ota.Push(context.Background(), otapaho.New(second), unsigned, opts)
	var rej *ota.RejectedError
	if !errors.As(err, &rej) {
		t.Fatalf("unsigned bundle: %v, want a rejection", err)
	}
	waitModelVersion(t, broker.URL("tcp"), "2", &stderr)

	// Signed bundles for kinds no sensor of this robot has are refused as
	// wrong_sensor, and no store is made for them.
	for _, kind := range []sensors.Kind{sensors.KindRange, sensors.Kind(200)} {
		b, _ := firmware.Parse(v2)
		b.Kind, b.Version, b.Signatures = kind, 4, nil
		unsigned, _ := b.MarshalBinary()
		signed, err := firmware.Sign(unsigned, key)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ota.Push(context.Background(), otapaho.New(second), signed, opts)
		if !errors.As(err, &rej) || !strings.Contains(err.Error(), "wrong_sensor") {
			t.Errorf("bundle of kind %v: %v, want a wrong_sensor rejection", kind, err)
		}
	}
	if entries, _ := os.ReadDir(models); len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("model directory holds %v; want only the LiDAR's", names)
	}
	waitModelVersion(t, broker.URL("tcp"), "2", &stderr)

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("trustd did not stop")
	}
}

func connectPaho(t *testing.T, url, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	return c
}

// waitModelVersion waits until lidar0's trust message names the model version.
func waitModelVersion(t *testing.T, url, version string, stderr *syncBuffer) {
	t.Helper()
	c := connectPaho(t, url, "watch-"+version+fmt.Sprint(time.Now().UnixNano()))
	defer c.Disconnect(0)
	got := make(chan string, 64)
	c.Subscribe("trust/v1/otabot/lidar0", 1, func(_ paho.Client, m paho.Message) {
		var st struct {
			Model struct{ ID, Version string } `json:"model"`
		}
		if json.Unmarshal(m.Payload(), &st) == nil {
			select {
			case got <- st.Model.Version:
			default:
			}
		}
	})
	deadline := time.After(15 * time.Second)
	var last []string
	for {
		select {
		case v := <-got:
			if v == version {
				return
			}
			last = append(last, v)
		case <-deadline:
			t.Fatalf("lidar0 never reported model version %s (saw %s)\n%s", version, strings.Join(last, ","), stderr.String())
		}
	}
}
