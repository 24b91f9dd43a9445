package otapaho_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/firmware"
	"github.com/sensortrust/trustagent/firmware/firmwaretest"
	"github.com/sensortrust/trustagent/firmware/ota"
	"github.com/sensortrust/trustagent/firmware/ota/otapaho"
	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/sensors"
	"github.com/sensortrust/trustagent/transport/broker"
)

const prefix = "trust/v1/robot7"

var releaseKey = firmwaretest.Key("release")

func bundle(t *testing.T, version uint64) []byte {
	t.Helper()
	data, err := firmwaretest.BuildSigned(firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "lidar-vae", Version: version, WeightSize: 3000, Probes: 2}, releaseKey)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// startMochi runs the embedded broker on a free loopback port.
func startMochi(tb testing.TB) string {
	tb.Helper()
	srv, err := broker.Start(context.Background(), broker.Config{Address: "127.0.0.1:0"}, broker.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { srv.Close() })
	return srv.URL()
}

// startMosquitto runs Debian's mosquitto on a free loopback port. Missing
// mosquitto skips the test, or fails it under CI=true.
func startMosquitto(t *testing.T) string {
	t.Helper()
	return mosquittotest.Start(t, nil).URL("tcp")
}

func connect(t *testing.T, broker, id string) paho.Client {
	t.Helper()
	o := paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetCleanSession(true).
		SetOrderMatters(false).SetAutoReconnect(true).SetConnectTimeout(5 * time.Second)
	c := paho.NewClient(o)
	tok := c.Connect()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s to %s: %v", id, broker, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// robot is the device side: a store holding version 1 and a receiver.
type robot struct {
	store  *firmware.Store
	recv   *ota.Receiver
	cancel context.CancelFunc
	done   chan struct{}
}

func startRobot(t *testing.T, broker string) *robot {
	t.Helper()
	dir := t.TempDir()
	fsys, err := firmware.OpenDirFS(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fsys.Close() })
	store, err := firmware.NewStore(fsys, firmware.Options{
		Trust: firmware.NewTrustStore(releaseKey.Public()), Kind: sensors.KindLidar, Loader: firmwaretest.Loader(0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Install(context.Background(), bundle(t, 1)); err != nil {
		t.Fatal(err)
	}
	c := otapaho.New(connect(t, broker, "robot7"))
	recv, err := ota.NewReceiver(store, c, ota.ReceiverOptions{Prefix: prefix, Dir: filepath.Join(dir, "ota")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &robot{store: store, recv: recv, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		recv.Serve(ctx, c)
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	// Serve publishes its status once subscribed.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if s := watchOnce(t, broker); s != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("receiver never published a status")
		}
	}
	return r
}

// watchOnce returns the retained status, if any.
func watchOnce(t *testing.T, broker string) *ota.Status {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID(fmt.Sprintf("peek-%d", time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		return nil
	}
	defer c.Disconnect(0)
	got := make(chan *ota.Status, 1)
	c.Subscribe(ota.StatusTopic(prefix), 1, func(_ paho.Client, m paho.Message) {
		if s, err := ota.ParseStatus(m.Payload()); err == nil {
			select {
			case got <- s:
			default:
			}
		}
	}).WaitTimeout(5 * time.Second)
	select {
	case s := <-got:
		return s
	case <-time.After(300 * time.Millisecond):
		return nil
	}
}

// observer records every status the robot publishes.
type observer struct {
	mu  sync.Mutex
	all []*ota.Status
}

func observe(t *testing.T, broker string) *observer {
	o := &observer{}
	c := connect(t, broker, "observer")
	tok := c.Subscribe(ota.StatusTopic(prefix), 1, func(_ paho.Client, m paho.Message) {
		if s, err := ota.ParseStatus(m.Payload()); err == nil {
			o.mu.Lock()
			o.all = append(o.all, s)
			o.mu.Unlock()
		}
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	return o
}

func (o *observer) installed(version uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.all {
		if s.State == ota.StateInstalled && s.Active != nil && s.Active.Version == version {
			return true
		}
	}
	return false
}

// interruptedPush pushes version 2, disconnects the sender half way,
// then pushes again with a new connection and checks that it resumed and
// that the new model is active and reported.
func interruptedPush(t *testing.T, broker string) {
	r := startRobot(t, broker)
	obs := observe(t, broker)
	data := bundle(t, 2)
	opts := ota.SenderOptions{Prefix: prefix, ChunkSize: 512, AckTimeout: 2 * time.Second, Retries: 1, CommitTimeout: 20 * time.Second}

	// The operator's tool dies half way: its push stops and its connection
	// goes away.
	first := connect(t, broker, "operator-1")
	ctx, cancel := context.WithCancel(context.Background())
	o1 := opts
	o1.Progress = func(stored, total int) {
		if stored >= total/2 {
			cancel()
		}
	}
	if _, err := ota.Push(ctx, otapaho.New(first), data, o1); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted push: %v", err)
	}
	first.Disconnect(0)
	held := settled(r.recv)
	if held.State != ota.StateReceiving || held.NextOffset < uint32(len(data)/2) || held.NextOffset >= uint32(len(data)) {
		t.Fatalf("after the interruption the robot holds %+v of %d bytes", held, len(data))
	}
	if r.store.Active().Bundle.Version != 1 {
		t.Fatal("half a bundle changed the active model")
	}

	second := connect(t, broker, "operator-2")
	res, err := ota.Push(context.Background(), otapaho.New(second), data, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.ResumedFrom != int(held.NextOffset) || res.Sent != len(data)-int(held.NextOffset) {
		t.Fatalf("second push resumed at %d and sent %d bytes; robot held %d of %d", res.ResumedFrom, res.Sent, held.NextOffset, len(data))
	}
	if a := r.store.Active(); a.Bundle.Version != 2 {
		t.Fatalf("active version %d", a.Bundle.Version)
	}
	if res.Status.Active == nil || res.Status.Active.Version != 2 {
		t.Fatalf("final status %+v", res.Status)
	}
	for deadline := time.Now().Add(5 * time.Second); !obs.installed(2); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("observer never saw version 2 reported installed on model/status")
		}
	}
	if s := watchOnce(t, broker); s == nil || s.State != ota.StateInstalled || s.Active.Version != 2 {
		t.Fatalf("retained status for a late subscriber: %+v", s)
	}
	t.Logf("bundle %d bytes: first push stopped at %d, second sent %d", len(data), held.NextOffset, res.Sent)
}

// settled returns the receiver's status once it has stopped changing (a
// chunk published just before the disconnect may still be in flight).
func settled(r *ota.Receiver) ota.Status {
	prev := r.Status()
	for stable := 0; stable < 5; {
		time.Sleep(50 * time.Millisecond)
		cur := r.Status()
		if cur.NextOffset == prev.NextOffset && cur.State == prev.State {
			stable++
		} else {
			stable = 0
		}
		prev = cur
	}
	return prev
}

func TestInterruptedPushMochi(t *testing.T) { interruptedPush(t, startMochi(t)) }

func TestInterruptedPushMosquitto(t *testing.T) { interruptedPush(t, startMosquitto(t)) }

// BenchmarkPushMochi1MiB pushes 1 MiB bundles (64 KiB chunks, one in
// flight) through the embedded broker on loopback into a store on disk;
// the time includes verification and the install's fsyncs.
func BenchmarkPushMochi1MiB(b *testing.B) {
	broker := startMochiB(b)
	dir := b.TempDir()
	fsys, err := firmware.OpenDirFS(filepath.Join(dir, "models"))
	if err != nil {
		b.Fatal(err)
	}
	defer fsys.Close()
	store, err := firmware.NewStore(fsys, firmware.Options{
		Trust: firmware.NewTrustStore(releaseKey.Public()), Kind: sensors.KindLidar, Loader: firmwaretest.Loader(0),
	})
	if err != nil {
		b.Fatal(err)
	}
	rc := otapaho.New(connectB(b, broker, "robot"))
	recv, err := ota.NewReceiver(store, rc, ota.ReceiverOptions{Prefix: prefix, Dir: filepath.Join(dir, "ota")})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); recv.Serve(ctx, rc) }()
	defer func() { cancel(); <-done }()
	time.Sleep(200 * time.Millisecond)
	sc := otapaho.New(connectB(b, broker, "operator"))
	v := uint64(0)
	for b.Loop() {
		b.StopTimer()
		v++
		data, err := firmwaretest.BuildSigned(firmwaretest.Spec{Kind: sensors.KindLidar, ModelID: "bench", Version: v, WeightSize: 512 << 10}, releaseKey)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.StartTimer()
		if _, err := ota.Push(context.Background(), sc, data, ota.SenderOptions{Prefix: prefix}); err != nil {
			b.Fatal(err)
		}
	}
}

func startMochiB(b *testing.B) string { return startMochi(b) }

func connectB(b *testing.B, broker, id string) paho.Client {
	c := paho.NewClient(paho.NewClientOptions().AddBroker(broker).SetClientID(id).SetOrderMatters(false))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	b.Cleanup(func() { c.Disconnect(100) })
	return c
}
