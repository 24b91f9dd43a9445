package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/internal/service/servicetest"
)

// freePorts returns two distinct free ports on 127.0.0.1, for the broker
// and the status server. Both are held open until both are chosen: a port
// closed and asked for again at once can come back from the kernel, and
// the status server would then find the broker on its port and run
// without (a GET /status answered by the broker is an EOF).
func freePorts(tb testing.TB) (int, int) {
	tb.Helper()
	var ports [2]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports[0], ports[1]
}

// syncBuffer is a bytes.Buffer safe for the daemon's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func writeConfig(t *testing.T, dir string, mqttPort, httpPort int, period string) string {
	t.Helper()
	cfg := fmt.Sprintf(`robot: testbot
state_dir: %s
http:
  listen: 127.0.0.1:%d
mqtt:
  broker: tcp://127.0.0.1:%d
  heartbeat: 500ms
  embedded:
    enabled: true
    listen: 127.0.0.1:%d
models:
  dir: %s
  allow_unsigned: true
sensors:
  - name: lidar0
    driver: sim-lidar
    period: %s
`, filepath.Join(dir, "state"), httpPort, mqttPort, mqttPort, filepath.Join(dir, "models"), period)
	path := filepath.Join(dir, "trustd.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDaemonLifecycle runs trustd in-process with a simulated LiDAR and the
// embedded broker: it must announce READY to systemd, publish retained
// state that a subscriber sees, serve /healthz and /status, reload on
// SIGHUP without dropping the MQTT session, and stop within 5 s.
func TestDaemonLifecycle(t *testing.T) {
	msgs := fakeSystemd(t)
	dir := t.TempDir()
	mqttPort, httpPort := freePorts(t)
	cfgPath := writeConfig(t, dir, mqttPort, httpPort, "100ms")

	d := startDaemon(t, cfgPath)

	waitFor(t, msgs, "READY=1", 10*time.Second)

	// A subscriber on the embedded broker sees the LiDAR's retained state.
	got := make(chan string, 16)
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(fmt.Sprintf("tcp://127.0.0.1:%d", mqttPort)).SetClientID("test-sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	defer sub.Disconnect(100)
	sub.Subscribe("trust/v1/testbot/#", 1, func(_ paho.Client, m paho.Message) {
		select {
		case got <- m.Topic() + " " + string(m.Payload()):
		default:
		}
	})
	deadline := time.After(10 * time.Second)
	for seen := false; !seen; {
		select {
		case m := <-got:
			if strings.HasPrefix(m, "trust/v1/testbot/lidar0 ") {
				var st map[string]any
				if err := json.Unmarshal([]byte(strings.TrimPrefix(m, "trust/v1/testbot/lidar0 ")), &st); err != nil {
					t.Fatalf("state payload: %v", err)
				}
				if st["sensor"] != "lidar0" || st["robot"] != "testbot" {
					t.Fatalf("state payload %v", st)
				}
				seen = true
			}
		case <-deadline:
			t.Fatalf("no lidar0 state on MQTT; stderr:\n%s", d.stderr.String())
		}
	}

	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	if code, body := httpGet(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/status"); code != 200 || !strings.Contains(body, `"lidar0"`) {
		t.Errorf("/status = %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/"); code != 200 || !strings.Contains(body, "assets/dashboard.js") {
		t.Errorf("/ = %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d (%d bytes)", code, len(body))
	}

	// SIGHUP with a changed period: the pipeline is rebuilt, READY again.
	writeConfig(t, dir, mqttPort, httpPort, "50ms")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, msgs, "RELOADING=1", 5*time.Second)
	waitFor(t, msgs, "READY=1", 10*time.Second)
	if !sub.IsConnected() {
		t.Error("subscriber lost its session during reload")
	}
	// A bad config on SIGHUP keeps the running pipeline.
	os.WriteFile(cfgPath, []byte("sensors: [\n"), 0o644)
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	waitFor(t, msgs, "reload failed", 5*time.Second)

	start := time.Now()
	d.stop(t)
	t.Logf("stopped in %v", time.Since(start))
	waitFor(t, msgs, "STOPPING=1", time.Second)
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// daemonRun is trustd running in the test process.
type daemonRun struct {
	cancel         context.CancelFunc
	done           chan int // the exit code
	stdout, stderr syncBuffer
}

// startDaemon runs trustd with the configuration at cfgPath until stop
// (or the end of the test).
func startDaemon(t *testing.T, cfgPath string) *daemonRun {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d := &daemonRun{cancel: cancel, done: make(chan int, 1)}
	go func() {
		d.done <- run(ctx, []string{"--config", cfgPath}, &d.stdout, &d.stderr, func(string) string { return "" })
	}()
	return d
}

// stop stops trustd and checks that it exits cleanly within 5 s.
func (d *daemonRun) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case code := <-d.done:
		if code != exitOK {
			t.Errorf("exit code %d; stderr:\n%s", code, d.stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("trustd did not stop within 5 s")
	}
}

// appendConfig appends YAML to the configuration file at path.
func appendConfig(t *testing.T, path, extra string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fakeSystemd(t *testing.T) <-chan string { return servicetest.Manager(t) }

func waitFor(t *testing.T, msgs <-chan string, want string, d time.Duration) {
	t.Helper()
	servicetest.WaitFor(t, msgs, want, d)
}
