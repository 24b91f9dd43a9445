package examples

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
)

// python returns a python3 that has paho-mqtt, skipping the test (failing
// under CI=true) when there is none. The Debian interpreter is tried after
// the one on PATH, which may be another installation without it.
func python(t *testing.T) string {
	t.Helper()
	var cands []string
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	cands = append(cands, "/usr/bin/python3")
	for _, p := range cands {
		if exec.Command(p, "-c", "import paho.mqtt.client").Run() == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no python3 with paho-mqtt among %q (Debian packages python3 and python3-paho-mqtt)", cands)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

const robot = "pybot"

var topics = transport.Topics{Prefix: transport.DefaultPrefix(robot)}

type msg struct {
	topic    string
	payload  []byte
	retained bool
}

func state(t *testing.T, sensor string, level transport.Level, epoch, n uint64, heartbeat bool, made time.Time) msg {
	t.Helper()
	m, err := topics.StateMessage(&transport.State{Robot: robot, Sensor: sensor, Level: level,
		Trusted: level == transport.LevelOK || level == transport.LevelWarn,
		Seq:     epoch<<32 | n, Heartbeat: heartbeat, Time: made, Expires: made.Add(15 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return msg{m.Topic, m.Payload, true}
}

func status(s string) msg { return msg{topics.Status(), []byte(s), true} }

func publish(t *testing.T, c paho.Client, ms ...msg) {
	t.Helper()
	for _, m := range ms {
		tok := c.Publish(m.topic, 1, m.retained, m.payload)
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish %s: %v", m.topic, tok.Error())
		}
	}
}

// verdictLine is one line of consumer.py's output.
var verdictLine = regexp.MustCompile(`^(\S+): (trusted|not trusted: ([a-z ]+))( \(.*\))?$`)

// verdicts parses consumer.py's output: sensor (or "summary") → reason, ""
// for trusted, in the words of transport/consumer.
func verdicts(t *testing.T, out []byte) map[string]consumer.Reason {
	t.Helper()
	got := map[string]consumer.Reason{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := verdictLine.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("consumer.py printed %q", sc.Text())
		}
		got[m[1]] = consumer.Reason(m[3])
	}
	return got
}

// runConsumer runs consumer.py --once against the broker while during()
// publishes, and returns its verdicts and what it said on stderr.
func runConsumer(t *testing.T, py string, port int, once time.Duration, during func()) (map[string]consumer.Reason, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "consumer.py", "--port", fmt.Sprint(port), "--robot", robot,
		"--once", fmt.Sprint(once.Seconds()))
	var stdout bytes.Buffer
	stderr := &lineWaiter{ch: make(chan string, 64)}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stderr.waitFor(t, "subscribed to", 10*time.Second)
	during()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("consumer.py: %v\nstderr:\n%s", err, stderr.String())
	}
	return verdicts(t, stdout.Bytes()), stderr.String()
}

// TestPythonConsumerAgreesWithGo publishes known states to a real
// mosquitto, retained and live, and checks that consumer.py's verdict on
// every sensor is the one the Go reference consumer reaches on the same
// messages: fresh and trusted, expired, untrusted levels, older and resent
// seqs, heartbeats that extend the expiry, a restart (new epoch), a lost
// change (a gap it reports), a cleared sensor, and the last will.
func TestPythonConsumerAgreesWithGo(t *testing.T) {
	py := python(t)
	broker := mosquittotest.Start(t, nil)
	pub := paho.NewClient(paho.NewClientOptions().AddBroker(broker.URL("tcp")).SetClientID("examples-pub"))
	if tok := pub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)

	now := time.Now()
	old := now.Add(-time.Minute) // its states expired 45 s ago
	retained := []msg{
		status("online"),
		state(t, "lidar0", transport.LevelOK, 3, 5, false, now),    // trusted
		state(t, "cam0", transport.LevelOK, 3, 2, true, old),       // expired
		state(t, "radar0", transport.LevelError, 3, 9, false, now), // not trusted
		state(t, "tof0", transport.LevelWarn, 3, 4, false, now),    // WARN is trusted
		state(t, "sonar0", transport.LevelStale, 3, 1, false, now), // no frame judged yet
		state(t, "imu0", transport.LevelOK, 3, 7, false, old),      // expired, then a heartbeat (below)
		state(t, "gone0", transport.LevelOK, 3, 1, false, now),     // cleared (below)
		{topics.Health(), []byte(`{"not":"a state"}`), true},       // not a sensor
	}
	sum, err := topics.SummaryMessage(&transport.Summary{Robot: robot, Level: transport.LevelError, Seq: 3<<32 | 4, Time: now, Expires: now.Add(15 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	retained = append(retained, msg{sum.Topic, sum.Payload, true})
	publish(t, pub, retained...)
	live := []msg{
		state(t, "lidar0", transport.LevelError, 3, 4, false, now),  // older: ignored
		state(t, "lidar0", transport.LevelError, 3, 5, false, now),  // resend of 5 as another level: ignored
		state(t, "imu0", transport.LevelOK, 3, 7, true, now),        // heartbeat of 7: fresh again
		state(t, "radar0", transport.LevelOK, 3, 12, false, now),    // 10 and 11 lost: reported, 12 trusted
		state(t, "tof0", transport.LevelStale, 4, 1, false, now),    // restarted: STALE, not judged yet
		state(t, "tof0", transport.LevelOK, 3, 6, false, now),       // the earlier run's, late: ignored
		{topics.Sensor("gone0"), nil, true},                         // cleared
		{topics.Sensor("bad0"), []byte(`{"sensor":"bad0"}`), false}, // bad payload: ignored
	}

	feedAll := func(tr *consumer.Tracker, ms []msg) {
		for _, m := range ms {
			_ = tr.Feed(m.topic, m.payload) // bad payloads are ignored by both
		}
	}
	compare := func(name string, got map[string]consumer.Reason, ms []msg, at time.Time) {
		t.Helper()
		tr, err := consumer.New(topics.Prefix)
		if err != nil {
			t.Fatal(err)
		}
		feedAll(tr, ms)
		for _, s := range []string{"lidar0", "cam0", "radar0", "tof0", "sonar0", "imu0", "gone0"} {
			want := tr.Why(s, at)
			if _, have := tr.Seq(s); !have {
				if _, listed := got[s]; listed {
					t.Errorf("%s: %s: no state, yet listed: %q", name, s, got[s])
				}
				continue
			}
			if g, ok := got[s]; !ok || g != want {
				t.Errorf("%s: %s: consumer.py %q (listed %v), Go consumer %q", name, s, g, ok, want)
			}
		}
		if want := tr.RobotTrusted(at); (got["summary"] == consumer.Trusted) != want {
			t.Errorf("%s: summary: consumer.py %q, Go consumer trusted=%v", name, got["summary"], want)
		}
	}

	// A late subscriber: the retained states only.
	got, _ := runConsumer(t, py, broker.Port, 500*time.Millisecond, func() {})
	compare("retained", got, retained, time.Now())
	if got["lidar0"] != consumer.Trusted || got["cam0"] != consumer.Expired || got["radar0"] != consumer.Untrusted {
		t.Errorf("retained: %v", got)
	}

	// Live changes while it listens.
	got, stderr := runConsumer(t, py, broker.Port, time.Second, func() { publish(t, pub, live...) })
	all := append(append([]msg{}, retained...), live...)
	compare("live", got, all, time.Now())
	for _, w := range []string{"radar0: 2 change(s) lost in run 3", "tof0: trustd restarted (run 4)", "bad payload ignored"} {
		if !strings.Contains(stderr, w) {
			t.Errorf("consumer.py did not say %q; stderr:\n%s", w, stderr)
		}
	}

	// The last will: nothing is trusted.
	got, _ = runConsumer(t, py, broker.Port, 500*time.Millisecond, func() { publish(t, pub, status("offline")) })
	compare("offline", got, append(all, status("offline")), time.Now())
	for s, why := range got {
		if why != consumer.Offline {
			t.Errorf("offline: %s: %q", s, why)
		}
	}
}

// lineWaiter collects a process's stderr and signals each line.
type lineWaiter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan string
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for _, l := range strings.SplitAfter(string(p), "\n") {
		select {
		case w.ch <- l:
		default:
		}
	}
	return len(p), nil
}

func (w *lineWaiter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor waits until stderr contains s.
func (w *lineWaiter) waitFor(t *testing.T, s string, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for !strings.Contains(w.String(), s) {
		select {
		case <-w.ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("consumer.py did not say %q within %v; stderr:\n%s", s, d, w.String())
		}
	}
}
