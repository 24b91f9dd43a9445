package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otapaho"
	"github.com/sensortrust/trustagent/sensors"
	embedded "github.com/sensortrust/trustagent/transport/broker"
)

// trustctl runs the command line and returns exit code, stdout and stderr.
func trustctl(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func writeBundle(t *testing.T, dir string, version uint64) string {
	t.Helper()
	data, err := firmwaretest.Build(firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "lidar-vae", Version: version, WeightSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "model.bundle")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBundleKeygenSignVerifyInspect(t *testing.T) {
	dir := t.TempDir()
	rel := filepath.Join(dir, "release")
	if code, out, errs := trustctl(t, "bundle", "keygen", "--out", rel); code != 0 || !strings.Contains(out, "id ") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	if st, err := os.Stat(rel + ".key"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v", err)
	}
	if code, _, _ := trustctl(t, "bundle", "keygen", "--out", rel); code != 1 {
		t.Fatal("keygen overwrote a key")
	}
	other := filepath.Join(dir, "other")
	trustctl(t, "bundle", "keygen", "--out", other)

	b := writeBundle(t, dir, 3)
	if code, _, errs := trustctl(t, "bundle", "verify", "--pub", rel+".pub", b); code != 1 || !strings.Contains(errs, "unsigned") {
		t.Fatalf("unsigned bundle: %d %q", code, errs)
	}
	if code, out, _ := trustctl(t, "bundle", "verify", "--allow-unsigned", b); code != 0 || !strings.Contains(out, "development") {
		t.Fatalf("development mode: %d %q", code, out)
	}
	signed := filepath.Join(dir, "signed.bundle")
	if code, out, errs := trustctl(t, "bundle", "sign", "--key", rel+".key", "--in", b, "--out", signed); code != 0 || !strings.Contains(out, "1 signature") {
		t.Fatalf("sign: %d %q %q", code, out, errs)
	}
	if code, out, errs := trustctl(t, "bundle", "verify", "--pub", rel+".pub", "--sensor", "lidar", "--installed", "2", signed); code != 0 || !strings.Contains(out, "OK: lidar-vae version 3") {
		t.Fatalf("verify: %d %q %q", code, out, errs)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--pub", other + ".pub", signed}, "unknown_key"},
		{[]string{"--pub", dir, "--installed", "3", signed}, "downgrade"},
		{[]string{"--pub", rel + ".pub", "--sensor", "camera", signed}, "wrong_sensor"},
	} {
		code, _, errs := trustctl(t, append([]string{"bundle", "verify"}, c.args...)...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("verify %v: %d %q, want %s", c.args, code, errs, c.want)
		}
	}
	data, _ := os.ReadFile(signed)
	data[len(data)/3] ^= 1
	tampered := filepath.Join(dir, "tampered.bundle")
	os.WriteFile(tampered, data, 0o644)
	if code, _, errs := trustctl(t, "bundle", "verify", "--pub", rel+".pub", tampered); code != 1 || !strings.Contains(errs, "tampered") {
		t.Fatalf("tampered: %d %q", code, errs)
	}
	// Sign in place with the second key: both signatures show in inspect.
	if code, _, errs := trustctl(t, "bundle", "sign", "--key", other+".key", "--in", signed, "--out", signed); code != 0 {
		t.Fatalf("sign in place: %q", errs)
	}
	code, out, errs := trustctl(t, "bundle", "inspect", "--pub", rel+".pub", signed)
	if code != 0 {
		t.Fatalf("inspect: %q", errs)
	}
	for _, want := range []string{"model    lidar-vae version 3", "sensor   lidar", "calibration", "target FPR 0.001", "4 probes (vae 2, health 2)", "release", "verified", "not checked"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := trustctl(t, "bundle", "frobnicate"); code != 2 {
		t.Error("unknown subcommand not a usage error")
	}
	if code, _, _ := trustctl(t, "bundle", "sign", "--key", rel+".key"); code != 2 {
		t.Error("sign without --in/--out not a usage error")
	}
}

func TestBundlePush(t *testing.T) {
	// The embedded broker trustd runs, on a free loopback port.
	srv, err := embedded.Start(context.Background(), embedded.Config{Address: "127.0.0.1:0"}, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	broker := srv.URL()

	// Keys and bundle.
	dir := t.TempDir()
	rel := filepath.Join(dir, "release")
	trustctl(t, "bundle", "keygen", "--out", rel)
	b := writeBundle(t, dir, 1)
	if code, _, errs := trustctl(t, "bundle", "sign", "--key", rel+".key", "--in", b, "--out", b); code != 0 {
		t.Fatal(errs)
	}

	// Robot.
	ts, err := firmware.LoadTrustStore(rel + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	fsys, err := firmware.OpenDirFS(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer fsys.Close()
	store, err := firmware.NewStore(fsys, firmware.Options{Trust: ts, Kind: sensors.KindLidar, Loader: firmwaretest.Loader(0)})
	if err != nil {
		t.Fatal(err)
	}
	pc := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID("robot9"))
	if tok := pc.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pc.Disconnect(0)
	c := otapaho.New(pc)
	recv, err := ota.NewReceiver(store, c, ota.ReceiverOptions{Prefix: "fleet/robot9", Dir: filepath.Join(dir, "ota")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); recv.Serve(ctx, c) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond) // let Serve subscribe

	code, out, errs := trustctl(t, "bundle", "push", "--broker", broker, "--robot", "robot9", "--prefix", "fleet", "--chunk", "128", b)
	if code != 0 {
		t.Fatalf("push: %d %q %q", code, out, errs)
	}
	if !strings.Contains(out, "robot9: installed lidar-vae version 1 (slot a)") || !strings.Contains(errs, "100%") {
		t.Fatalf("push output %q / %q", out, errs)
	}
	if a := store.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active %+v", a)
	}
	// Pushing it again is refused as not newer... unless already recorded as installed.
	if code, out, _ := trustctl(t, "bundle", "push", "--broker", broker, "--robot", "robot9", "--prefix", "fleet", b); code != 0 || !strings.Contains(out, "0 bytes sent") {
		t.Fatalf("re-push: %d %q", code, out)
	}
}
