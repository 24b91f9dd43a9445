package mqtt_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/mqtt"
	"github.com/sensortrust/trustagent/transport/outbox"
)

// Integration tests against a real mosquitto and mosquitto_sub. They skip
// when mosquitto is not installed, and fail instead under CI=true.

func testConfig(url, dir string) mqtt.Config {
	cfg := mqtt.DefaultConfig("r1")
	cfg.Broker = url
	cfg.OutboxDir = dir
	cfg.MaxReconnectInterval = time.Second // quick return after the outage
	cfg.ConnectTimeout = 2 * time.Second
	return cfg
}

func openStack(t *testing.T, cfg mqtt.Config) *mqtt.Stack {
	t.Helper()
	log := zerolog.Nop()
	if testing.Verbose() {
		log = zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
	}
	st, err := mqtt.OpenStack(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// change publishes a level change for sensor through the stack's outbox.
func change(t *testing.T, st *mqtt.Stack, sensor string, level transport.Level) uint64 {
	t.Helper()
	s := &transport.State{Robot: "r1", Sensor: sensor, Level: level, Trusted: level == transport.LevelOK,
		Seq: st.Seq.Next(sensor), Stamp: time.Now(), Expires: time.Now().Add(time.Minute)}
	m, err := st.Topics.StateMessage(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Outbox.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	return s.Seq
}

func heartbeat(t *testing.T, st *mqtt.Stack, sensor string, seq uint64) {
	t.Helper()
	s := &transport.State{Robot: "r1", Sensor: sensor, Level: transport.LevelOK, Trusted: true, Seq: seq, Heartbeat: true, Expires: time.Now().Add(time.Minute)}
	m, err := st.Topics.StateMessage(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Outbox.Publish(context.Background(), m); err != nil {
		t.Fatal(err)
	}
}

type received struct {
	Seq       uint64 `json:"seq"`
	Heartbeat bool   `json:"heartbeat"`
}

func parseStates(t *testing.T, payloads []string) []received {
	t.Helper()
	out := make([]received, 0, len(payloads))
	for _, p := range payloads {
		var r received
		if err := json.Unmarshal([]byte(p), &r); err != nil {
			t.Fatalf("payload %q: %v", p, err)
		}
		out = append(out, r)
	}
	return out
}

// hasSeq reports whether mosquitto_sub received the change seq on topic.
func hasSeq(topic string, seq uint64) func([]string) bool {
	needle := fmt.Sprintf(`"seq":%d,"heartbeat":false`, seq)
	return func(lines []string) bool {
		for _, l := range lines {
			if strings.HasPrefix(l, topic+" ") && strings.Contains(l, needle) {
				return true
			}
		}
		return false
	}
}

func TestMosquittoRetainedStateToLateSubscriber(t *testing.T) {
	b := mosquittotest.Start(t, nil)
	st := openStack(t, testConfig(b.URL("tcp"), t.TempDir()))
	defer st.Close(context.Background())
	change(t, st, "lidar0", transport.LevelOK)
	lidar := change(t, st, "lidar0", transport.LevelError)
	cam := change(t, st, "cam0", transport.LevelWarn)
	// Wait until the outbox is empty: everything acknowledged by mosquitto.
	deadline := time.Now().Add(10 * time.Second)
	for st.Outbox.Stats().Queued > 0 || st.Outbox.Stats().Sent < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v\n%s", st.Outbox.Stats(), b.Log())
		}
		time.Sleep(10 * time.Millisecond)
	}
	sub := mosquittotest.Subscribe(t, b.Port, "-t", "trust/#", "-q", "1")
	tp := st.Topics
	sub.WaitFor(t, 5*time.Second, "retained state", func(l []string) bool {
		return hasSeq(tp.Sensor("lidar0"), lidar)(l) && hasSeq(tp.Sensor("cam0"), cam)(l) && mosquittotest.Has(tp.Status(), "online")(l)
	})
	// Only the latest state per sensor is retained.
	if got := sub.Messages(tp.Sensor("lidar0")); len(got) != 1 || !strings.Contains(got[0], `"level":"ERROR"`) {
		t.Fatalf("late subscriber got %q", got)
	}
}

// TestHelperProcess is the agent child process of the SIGKILL tests: it
// publishes through a full stack until the parent kills it. Mode "will"
// publishes one change and waits; mode "changes" publishes a level change
// every 150 ms, alternating sensors, and prints "seq <sensor> <n>" once
// Publish has returned (the change is on disk).
func TestHelperProcess(t *testing.T) {
	url := os.Getenv("TRUSTAGENT_MQTT_HELPER_BROKER")
	if url == "" {
		t.Skip("child process of the SIGKILL tests")
	}
	st := openStack(t, testConfig(url, os.Getenv("TRUSTAGENT_MQTT_HELPER_DIR")))
	switch os.Getenv("TRUSTAGENT_MQTT_HELPER_MODE") {
	case "will":
		change(t, st, "lidar0", transport.LevelOK)
		for st.Outbox.Stats().Sent < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		fmt.Println("ready")
	case "changes":
		fmt.Println("ready")
		levels := []transport.Level{transport.LevelOK, transport.LevelWarn, transport.LevelError}
		for i := 0; ; i++ {
			s := []string{"lidar0", "cam0"}[i%2]
			n := change(t, st, s, levels[i%3])
			if i%4 == 0 {
				heartbeat(t, st, s, n)
			}
			fmt.Printf("seq %s %d\n", s, n)
			time.Sleep(150 * time.Millisecond)
		}
	}
	time.Sleep(30 * time.Second) // the parent kills us long before
	os.Exit(3)
}

// qemu names the user-mode emulator for the architectures the agent ships on.
var qemu = map[string]string{"arm64": "qemu-aarch64", "arm": "qemu-arm"}

// child is a running agent process.
type child struct {
	cmd   *exec.Cmd
	ready chan struct{}
	mu    sync.Mutex
	last  map[string]uint64 // highest seq per sensor reported on disk
}

func startChild(t *testing.T, mode, url, dir string) *child {
	t.Helper()
	c := &child{ready: make(chan struct{}), last: map[string]uint64{}}
	var out io.ReadCloser
	for _, argv := range [][]string{
		{os.Args[0], "-test.run=^TestHelperProcess$"},
		// A cross-compiled test binary run by qemu-user (go test -exec
		// qemu-aarch64) cannot exec itself directly without binfmt_misc.
		{qemu[runtime.GOARCH], os.Args[0], "-test.run=^TestHelperProcess$"},
	} {
		if argv[0] == "" {
			continue
		}
		c.cmd = exec.Command(argv[0], argv[1:]...)
		c.cmd.Env = append(os.Environ(), "TRUSTAGENT_MQTT_HELPER_BROKER="+url, "TRUSTAGENT_MQTT_HELPER_DIR="+dir, "TRUSTAGENT_MQTT_HELPER_MODE="+mode)
		var err error
		if out, err = c.cmd.StdoutPipe(); err != nil {
			t.Fatal(err)
		}
		c.cmd.Stderr = os.Stderr
		err = c.cmd.Start()
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.ENOEXEC) {
			t.Fatal(err)
		}
	}
	if c.cmd.Process == nil {
		t.Fatal("cannot run the agent child process")
	}
	t.Cleanup(func() { _ = c.cmd.Process.Kill(); _ = c.cmd.Wait() })
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var sensor string
			var n uint64
			switch line := sc.Text(); {
			case line == "ready":
				close(c.ready)
			case strings.HasPrefix(line, "seq "):
				if _, err := fmt.Sscanf(line, "seq %s %d", &sensor, &n); err == nil {
					c.mu.Lock()
					c.last[sensor] = max(c.last[sensor], n)
					c.mu.Unlock()
				}
			}
		}
	}()
	select {
	case <-c.ready:
	case <-time.After(10 * time.Second):
		t.Fatal("agent process not ready")
	}
	return c
}

// kill sends SIGKILL: no chance to close anything.
func (c *child) kill(t *testing.T) map[string]uint64 {
	t.Helper()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = c.cmd.Wait()
	time.Sleep(50 * time.Millisecond) // let the reader take the last lines
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.last)
}

func TestMosquittoWillOnSIGKILL(t *testing.T) {
	b := mosquittotest.Start(t, nil)
	sub := mosquittotest.Subscribe(t, b.Port, "-t", "trust/v1/r1/status", "-q", "1")
	c := startChild(t, "will", b.URL("tcp"), t.TempDir())
	status := "trust/v1/r1/status"
	sub.WaitFor(t, 5*time.Second, "online", mosquittotest.Has(status, "online"))
	c.kill(t)
	killed := time.Now()
	sub.WaitFor(t, 5*time.Second, "will", mosquittotest.Has(status, "offline"))
	t.Logf("will arrived %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	// The will is retained: a late subscriber sees the agent offline.
	late := mosquittotest.Subscribe(t, b.Port, "-t", status)
	late.WaitFor(t, 5*time.Second, "retained will", mosquittotest.Has(status, "offline"))
}

// TestMosquittoOutageAndCrashLoseNothing: an agent process publishes level
// changes while mosquitto is down for 10 s, is killed with SIGKILL halfway
// through, and a new agent (new client, same state directory) carries on.
// After the broker returns every change arrives, per sensor in order: seq
// never goes backwards, the new agent's numbers are all above the killed
// one's, and each run's changes are contiguous from 1 (seq & 0xffffffff).
func TestMosquittoOutageAndCrashLoseNothing(t *testing.T) {
	b := mosquittotest.Start(t, nil)
	dir := t.TempDir()
	cfg := testConfig(b.URL("tcp"), dir)
	// A persistent subscriber session (-c, QoS 1): mosquitto keeps what
	// arrives for it while mosquitto_sub itself reconnects after the outage.
	sub := mosquittotest.Subscribe(t, b.Port, "-t", "trust/#", "-q", "1", "-c", "-i", "watch-"+fmt.Sprint(os.Getpid()))
	tp, _ := transport.NewTopics(cfg.TopicPrefix)
	sensors := []string{"lidar0", "cam0"}

	agent := startChild(t, "changes", cfg.Broker, dir)
	sub.WaitFor(t, 10*time.Second, "agent online", mosquittotest.Has(tp.Status(), "online"))
	time.Sleep(time.Second) // some changes while the broker is up
	// The first run's epoch is 1.
	sub.WaitFor(t, 10*time.Second, "changes before the outage", hasSeq(tp.Sensor("cam0"), 1<<32|2))

	b.Stop()
	start := time.Now()
	time.Sleep(4 * time.Second)
	last := agent.kill(t) // crash in the middle of the outage
	left, _ := outbox.DirFS(dir).List()
	t.Logf("killed the agent %v into the outage with %d files in its outbox; last changes on disk %v",
		time.Since(start).Round(time.Millisecond), len(left), last)
	if len(left) < 10 {
		t.Fatalf("only %d files in the outbox: %v", len(left), left)
	}

	a2 := openStack(t, cfg) // the restarted agent
	defer a2.Close(context.Background())
	levels := []transport.Level{transport.LevelOK, transport.LevelWarn, transport.LevelError}
	killed := maps.Clone(last)
	for i := 0; time.Since(start) < 10*time.Second; i++ {
		s := sensors[i%2]
		n := change(t, a2, s, levels[i%3])
		if n <= last[s] {
			t.Fatalf("%s: seq %d after the restart, the crashed agent had reached %d", s, n, last[s])
		}
		last[s] = n
		if i%4 == 0 {
			heartbeat(t, a2, s, n)
		}
		time.Sleep(150 * time.Millisecond)
	}
	b.Restart()
	back := time.Now()
	for _, s := range sensors {
		sub.WaitFor(t, 30*time.Second, "after the outage: "+s, hasSeq(tp.Sensor(s), last[s]))
	}
	const low = 1<<32 - 1
	t.Logf("%d + %d level changes before the crash, %d + %d after; all delivered %v after the broker returned",
		killed["lidar0"]&low, killed["cam0"]&low, last["lidar0"]&low, last["cam0"]&low, time.Since(back).Round(time.Millisecond))

	dups := 0
	for _, s := range sensors {
		got := parseStates(t, sub.Messages(tp.Sensor(s)))
		var changes []uint64
		prev := uint64(0)
		for _, r := range got {
			if r.Seq < prev {
				t.Fatalf("%s: seq %d after %d: reordered", s, r.Seq, prev)
			}
			prev = r.Seq
			if !r.Heartbeat {
				if len(changes) > 0 && changes[len(changes)-1] == r.Seq {
					dups++ // at least once: a resend after a lost PUBACK
					continue
				}
				changes = append(changes, r.Seq)
			}
		}
		// Each run's changes contiguous from 1, the first run's up to the
		// last one it reported on disk, the second's up to its last.
		var want []uint64
		for _, top := range []uint64{killed[s], last[s]} {
			for n := uint64(1); n <= top&low; n++ {
				want = append(want, top&^low|n)
			}
		}
		if !slices.Equal(changes, want) {
			t.Fatalf("%s: changes %x\nwant %x", s, changes, want)
		}
	}
	t.Logf("duplicates: %d", dups)
}

func TestMosquittoMutualTLS(t *testing.T) {
	pki := mosquittotest.GeneratePKI(t)
	b := mosquittotest.Start(t, &mosquittotest.TLS{CAFile: pki.CAFile, CertFile: pki.ServerCert, KeyFile: pki.ServerKey, RequireClientCert: true})
	url := b.URL("ssl")

	cfg := testConfig(url, t.TempDir())
	cfg.CAFile, cfg.CertFile, cfg.KeyFile = pki.CAFile, pki.ClientCert, pki.ClientKey
	c, err := mqtt.New(cfg, mqtt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("mutual TLS with the right certificate: %v\n%s", err, b.Log())
	}
	m, _ := c.Topics().StateMessage(&transport.State{Robot: "r1", Sensor: "lidar0", Level: transport.LevelOK, Seq: 1, Expires: time.Now().Add(time.Minute)})
	if err := c.Publish(ctx, m); err != nil {
		t.Fatal(err)
	}
	sub := mosquittotest.Subscribe(t, b.Port, "-t", "trust/#", "--cafile", pki.CAFile, "--cert", pki.ClientCert, "--key", pki.ClientKey)
	sub.WaitFor(t, 5*time.Second, "state over TLS", hasSeq(c.Topics().Sensor("lidar0"), 1))
	c.Close(ctx)

	for _, tc := range []struct {
		name, ca, cert, key, want string
	}{
		{"client certificate from an untrusted CA", pki.CAFile, pki.WrongClientCert, pki.WrongKey, "refused this robot's client certificate"},
		{"no client certificate", pki.CAFile, "", "", "client certificate"},
		{"broker not signed by ca_file", pki.OtherCAFile, pki.ClientCert, pki.ClientKey, "not signed by ca_file"},
	} {
		cfg := testConfig(url, t.TempDir())
		cfg.CAFile, cfg.CertFile, cfg.KeyFile = tc.ca, tc.cert, tc.key
		c, err := mqtt.New(cfg, mqtt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		err = c.Connect(ctx)
		var ce *mqtt.ConnectError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v; want a ConnectError saying %q", tc.name, err, tc.want)
		} else {
			t.Logf("%s: %v", tc.name, err)
		}
		c.Close(ctx)
	}
}
