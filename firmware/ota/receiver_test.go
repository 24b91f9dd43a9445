package ota_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otatest"
	"github.com/sensortrust/trustagent/sensors"
)

const prefix = "trust/v1/robot7"

var releaseKey = firmwaretest.Key("release")

func bundle(t testing.TB, version uint64, keys ...*firmware.PrivateKey) []byte {
	t.Helper()
	if keys == nil {
		keys = []*firmware.PrivateKey{releaseKey}
	}
	data, err := firmwaretest.BuildSigned(firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "lidar-vae", Version: version, WeightSize: 700, Probes: 2}, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// device is a robot's side: a store and a receiver serving on a client.
type device struct {
	dir       string
	store     *firmware.Store
	recv      *ota.Receiver
	installed atomic.Int32
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func startDevice(t *testing.T, dir string, c ota.Client, ro ota.ReceiverOptions) *device {
	t.Helper()
	fsys, err := firmware.OpenDirFS(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	store, err := firmware.NewStore(fsys, firmware.Options{
		Trust:  firmware.NewTrustStore(releaseKey.Public()),
		Kind:   sensors.KindLidar,
		Loader: firmwaretest.Loader(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Start(context.Background()); err != nil && !errors.Is(err, firmware.ErrNoModel) {
		t.Fatal(err)
	}
	d := &device{dir: dir, store: store}
	ro.Prefix, ro.Dir = prefix, filepath.Join(dir, "ota")
	ro.OnInstalled = func(context.Context, *firmware.Active) { d.installed.Add(1) }
	d.recv, err = ota.NewReceiver(store, c, ro)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		d.recv.Serve(ctx, c)
	}()
	t.Cleanup(d.stop)
	waitRetained(t, c, ota.StatusTopic(prefix))
	return d
}

func (d *device) stop() {
	d.cancel()
	d.wg.Wait()
}

// waitRetained waits until the receiver has published its first status, so
// it is subscribed before a sender starts.
func waitRetained(t *testing.T, c ota.Client, topic string) {
	t.Helper()
	got := make(chan struct{}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Subscribe(ctx, topic, func([]byte) {
		select {
		case got <- struct{}{}:
		default:
		}
	}); err != nil {
		t.Fatal(err)
	}
	defer c.Unsubscribe(ctx, topic)
	select {
	case <-got:
	case <-ctx.Done():
		t.Fatal("receiver published no status")
	}
}

func senderOpts() ota.SenderOptions {
	return ota.SenderOptions{Prefix: prefix, ChunkSize: 256, AckTimeout: 300 * time.Millisecond, CommitTimeout: 10 * time.Second}
}

func TestPushInstalls(t *testing.T) {
	bus := otatest.NewBus()
	d := startDevice(t, t.TempDir(), bus.Client(), ota.ReceiverOptions{})
	data := bundle(t, 1)
	res, err := ota.Push(context.Background(), bus.Client(), data, senderOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom != 0 || res.Sent != len(data) || res.Status.State != ota.StateInstalled {
		t.Fatalf("result %+v", res)
	}
	if a := d.store.Active(); a == nil || a.Bundle.Version != 1 || d.installed.Load() != 1 {
		t.Fatalf("active %+v, installs %d", a, d.installed.Load())
	}
	st, err := ota.ParseStatus(bus.Retained(ota.StatusTopic(prefix)))
	if err != nil {
		t.Fatal(err)
	}
	if st.State != ota.StateInstalled || st.Active == nil || st.Active.Version != 1 || st.Active.ModelID != "lidar-vae" {
		t.Fatalf("retained status %+v", st)
	}
	// Pushing the same bundle again is answered from the recorded outcome.
	res, err = ota.Push(context.Background(), bus.Client(), data, senderOpts())
	if err != nil || res.Sent != 0 || res.Status.State != ota.StateInstalled {
		t.Fatalf("re-push: %+v %v", res, err)
	}
}

// TestPushResumesAfterDisconnectAndRestart: the sender is cut off half way,
// the receiver restarts, and a second push continues where the first
// stopped.
func TestPushResumesAfterDisconnectAndRestart(t *testing.T) {
	bus := otatest.NewBus()
	dir := t.TempDir()
	d := startDevice(t, dir, bus.Client(), ota.ReceiverOptions{})
	data := bundle(t, 1)
	sc := bus.Client()
	opts := senderOpts()
	opts.Retries = 1
	opts.Progress = func(stored, total int) {
		if stored >= total/2 {
			sc.Disconnect()
		}
	}
	if _, err := ota.Push(context.Background(), sc, data, opts); err == nil {
		t.Fatal("push through a dead connection succeeded")
	}
	stored := d.recv.Status().NextOffset
	if stored < uint32(len(data)/2) || stored >= uint32(len(data)) {
		t.Fatalf("receiver holds %d of %d bytes", stored, len(data))
	}
	d.stop()
	d2 := startDevice(t, dir, bus.Client(), ota.ReceiverOptions{})
	res, err := ota.Push(context.Background(), bus.Client(), data, senderOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom != int(stored) || res.Sent != len(data)-int(stored) {
		t.Fatalf("resumed from %d and sent %d; receiver held %d of %d", res.ResumedFrom, res.Sent, stored, len(data))
	}
	if a := d2.store.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active %+v", a)
	}
}

func TestPushRejections(t *testing.T) {
	other := firmwaretest.Key("other")
	cases := []struct {
		name string
		data func(t *testing.T) []byte
		ro   ota.ReceiverOptions
		code string
	}{
		{"downgrade", func(t *testing.T) []byte { return bundle(t, 1) }, ota.ReceiverOptions{}, "downgrade"},
		{"unknown key", func(t *testing.T) []byte { return bundle(t, 3, other) }, ota.ReceiverOptions{}, "unknown_key"},
		{"unsigned", func(t *testing.T) []byte { return bundle(t, 3, []*firmware.PrivateKey{}...) /* no keys: unsigned */ }, ota.ReceiverOptions{}, "unsigned"},
		{"too large", func(t *testing.T) []byte { return bundle(t, 3) }, ota.ReceiverOptions{MaxSize: 1000}, "too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bus := otatest.NewBus()
			d := startDevice(t, t.TempDir(), bus.Client(), c.ro)
			if _, err := d.store.Install(context.Background(), bundle(t, 2)); err != nil {
				t.Fatal(err)
			}
			data := c.data(t)
			_, err := ota.Push(context.Background(), bus.Client(), data, senderOpts())
			var rej *ota.RejectedError
			if !errors.As(err, &rej) || rej.Status.Code != c.code {
				t.Fatalf("got %v, want code %s", err, c.code)
			}
			if a := d.store.Active(); a.Bundle.Version != 2 {
				t.Fatalf("active version %d after a refused push", a.Bundle.Version)
			}
		})
	}
}

// TestCorruptPartialIsResent: bytes stored on the robot are damaged between
// two pushes; the digest check catches it and the sender starts over.
func TestCorruptPartialIsResent(t *testing.T) {
	bus := otatest.NewBus()
	dir := t.TempDir()
	d := startDevice(t, dir, bus.Client(), ota.ReceiverOptions{})
	data := bundle(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	opts := senderOpts()
	opts.Progress = func(stored, total int) {
		if stored >= total/2 {
			cancel()
		}
	}
	if _, err := ota.Push(ctx, bus.Client(), data, opts); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted push: %v", err)
	}
	d.stop()
	p := filepath.Join(dir, "ota", "partial.bin")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[10] ^= 0xff
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	d2 := startDevice(t, dir, bus.Client(), ota.ReceiverOptions{})
	res, err := ota.Push(context.Background(), bus.Client(), data, senderOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent <= len(data)-res.ResumedFrom {
		t.Fatalf("sent %d bytes after resuming at %d: the corrupt part was not resent", res.Sent, res.ResumedFrom)
	}
	if a := d2.store.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active %+v", a)
	}
}

// TestLostMessages: the bus loses every fifth command message; the sender
// notices the missing acknowledgement, re-queries and finishes.
func TestLostMessages(t *testing.T) {
	bus := otatest.NewBus()
	var n atomic.Int32
	bus.Drop = func(topic string, _ []byte) bool {
		return topic == ota.CommandTopic(prefix) && n.Add(1)%5 == 0
	}
	d := startDevice(t, t.TempDir(), bus.Client(), ota.ReceiverOptions{})
	opts := senderOpts()
	opts.AckTimeout = 50 * time.Millisecond
	opts.Retries = 10
	if _, err := ota.Push(context.Background(), bus.Client(), bundle(t, 1), opts); err != nil {
		t.Fatal(err)
	}
	if a := d.store.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active %+v", a)
	}
}

// TestDuplicatedMessages: every message is delivered twice; nothing is
// sent twice and the install completes.
func TestDuplicatedMessages(t *testing.T) {
	bus := otatest.NewBus()
	bus.Duplicate = func(string, []byte) bool { return true }
	d := startDevice(t, t.TempDir(), bus.Client(), ota.ReceiverOptions{})
	data := bundle(t, 1)
	res, err := ota.Push(context.Background(), bus.Client(), data, senderOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Sent != len(data) {
		t.Fatalf("sent %d bytes for a %d-byte bundle", res.Sent, len(data))
	}
	if a := d.store.Active(); a == nil || a.Bundle.Version != 1 {
		t.Fatalf("active %+v", a)
	}
}
