package chaos

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
)

const (
	heartbeat = time.Second
	expiry    = 3 * heartbeat // docs/mqtt.md: expires = time + 3 heartbeats
)

var sensorNames = []string{"lidar0", "cam0"}

// chaosDuration is CHAOS_DURATION, or the short form's 150 s.
func chaosDuration(t *testing.T) time.Duration {
	v := os.Getenv("CHAOS_DURATION")
	if v == "" {
		if testing.Short() {
			t.Skip("chaos: -short (CHAOS_DURATION runs it)")
		}
		return 150 * time.Second
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 30*time.Second {
		t.Fatalf("CHAOS_DURATION=%q: want a duration of at least 30s", v)
	}
	return d
}

// TestChaos runs two trustd processes with simulated LiDAR and camera
// against a real mosquitto while the broker restarts, one of them (chaosbot)
// is SIGKILLed and SIGTERMed and started again, the state disk fills, and
// hostile commands arrive; the other (soakbot) runs throughout, for its
// memory. A reference consumer (transport/consumer) reads every sensor
// every 50 ms. Every change trustd logged must arrive, no seq may be
// missing within a run, and no read may trust an expired state or a trustd
// down for longer than a state lives.
func TestChaos(t *testing.T) {
	dur := chaosDuration(t)
	broker := mosquittotest.Start(t, nil)
	bin := buildTrustd(t)
	root := t.TempDir()
	disk := stateDisk(t, filepath.Join(root, "state"))
	scenario := filepath.Join(root, "scenario.yaml")
	if err := os.WriteFile(scenario, []byte(Scenario(dur+5*time.Minute)), 0o644); err != nil {
		t.Fatal(err)
	}
	models, err := filepath.Abs("../../deploy/models")
	if err != nil {
		t.Fatal(err)
	}

	ledger := NewLedger(expiry)
	chaosBot := newDaemon(t, bin, root, disk.dir, "chaosbot", broker.URL("tcp"), scenario, models, ledger)
	soakBot := newDaemon(t, bin, root, disk.dir, "soakbot", broker.URL("tcp"), scenario, models, ledger)
	cons := startConsumer(t, broker.URL("tcp"), ledger, chaosBot.robot, soakBot.robot)
	stopReader := cons.readEvery(50 * time.Millisecond)

	chaosBot.start()
	soakBot.start()
	start := time.Now()
	deadline := start.Add(dur)
	warm := min(2*time.Minute, dur/5)
	var rss rssTrack
	sleep := func(d time.Duration) {
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			time.Sleep(min(time.Second, time.Until(end)))
			if time.Since(start) >= warm {
				rss.sample(t, soakBot)
			}
			chaosBot.checkAlive()
			soakBot.checkAlive()
		}
	}
	var acts actions
	steps := []struct {
		name string
		do   func()
	}{
		{"broker outage", func() {
			broker.Stop()
			sleep(4 * time.Second)
			broker.Restart()
			sleep(8 * time.Second)
		}},
		{"hostile commands", func() {
			cons.hostile(t, chaosBot.robot)
			cons.hostile(t, soakBot.robot)
			sleep(4 * time.Second)
		}},
		{"SIGKILL", func() {
			chaosBot.stop(syscall.SIGKILL)
			sleep(2 * time.Second)
			chaosBot.start()
			sleep(8 * time.Second)
		}},
		{"disk full", func() {
			if !disk.fill(t) {
				return
			}
			sleep(8 * time.Second)
			disk.free(t)
			sleep(6 * time.Second)
		}},
		{"SIGTERM", func() {
			chaosBot.stop(syscall.SIGTERM)
			chaosBot.start()
			sleep(8 * time.Second)
		}},
		{"SIGKILL during broker outage", func() {
			broker.Stop()
			sleep(time.Second)
			chaosBot.stop(syscall.SIGKILL)
			sleep(2 * time.Second)
			broker.Restart()
			sleep(2 * time.Second)
			chaosBot.start()
			sleep(8 * time.Second)
		}},
	}
	sleep(10 * time.Second)
	for i := 0; time.Now().Before(deadline) && !t.Failed(); i++ {
		s := steps[i%len(steps)]
		s.do()
		acts.add(s.name)
	}
	rss.sample(t, soakBot)
	chaosBot.stop(syscall.SIGTERM)
	soakBot.stop(syscall.SIGTERM)

	// Everything logged must arrive; give the last messages a moment.
	for end := time.Now().Add(15 * time.Second); time.Now().Before(end) && ledger.Figures().Lost > 0; {
		time.Sleep(200 * time.Millisecond)
	}
	stopReader()
	f := ledger.Figures()
	runs := append(chaosBot.logs, soakBot.logs...)
	var diskErrs, diskBack, resent, dropped, panics int
	for _, r := range runs {
		diskErrs += r.DiskErrors
		diskBack += r.DiskBack
		resent += r.Resent
		dropped += r.DroppedDur
		panics += r.Panics
	}
	t.Logf("chaos: %v of %s", time.Since(start).Round(time.Second), &acts)
	t.Logf("chaos: %s", f)
	t.Logf("chaos: trustd: disk-full episodes seen %d (recovered %d), starts resending an earlier run's outbox %d, durable messages dropped %d, panics %d",
		diskErrs, diskBack, resent, dropped, panics)
	t.Logf("chaos: consumer: offline wills/statuses %d, hostile commands sent %d, replies %d (ok: %d), reconnects %d",
		cons.offline.Load(), cons.hostileSent.Load(), cons.replies.Load(), cons.repliesOK.Load(), cons.connects.Load()-1)
	t.Logf("chaos: soakbot RSS %s", rss.String())

	switch {
	case f.Sent < 20:
		t.Errorf("only %d level changes logged: the scenario did not drive the levels", f.Sent)
	case f.Lost > 0 || f.Gaps > 0:
		t.Errorf("%d changes lost, %d seq gaps within a run: %v", f.Lost, f.Gaps, ledger.Missing(20))
	}
	if f.StaleTrustReads > 0 {
		t.Errorf("%d stale-trust reads, e.g. %v", f.StaleTrustReads, cons.staleExamples())
	}
	if f.Malformed > 0 {
		t.Errorf("%d malformed state payloads", f.Malformed)
	}
	if panics > 0 || dropped > 0 {
		t.Errorf("trustd: %d panics, %d durable messages dropped", panics, dropped)
	}
	if disk.mounted && acts.count("disk full") > 0 && diskErrs == 0 {
		t.Error("the state disk was full, but trustd's outbox never said so")
	}
	if n := cons.repliesOK.Load(); n > 0 {
		t.Errorf("%d hostile commands answered ok: true: %q", n, cons.acceptedExamples())
	}
	if n := acts.count("SIGKILL") + acts.count("SIGTERM"); n > 0 && cons.offline.Load() == 0 {
		t.Error("chaosbot was stopped, but no offline status arrived")
	}
	if drift, ok := rss.drift(); ok && dur >= 30*time.Minute && drift > 0.05 {
		t.Errorf("soakbot RSS drifted %.1f %% (> 5 %%): %s", 100*drift, rss.String())
	}
}

// buildTrustd builds the daemon into a temporary directory.
func buildTrustd(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "trustd")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/sensortrust/trustagent/cmd/trustd")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build trustd: %v\n%s", err, out)
	}
	return bin
}

// actions counts the chaos steps done.
type actions struct {
	order []string
	n     map[string]int
}

func (a *actions) add(name string) {
	if a.n == nil {
		a.n = map[string]int{}
	}
	if a.n[name] == 0 {
		a.order = append(a.order, name)
	}
	a.n[name]++
}

func (a *actions) count(name string) int { return a.n[name] }

func (a *actions) String() string {
	var parts []string
	for _, name := range a.order {
		parts = append(parts, fmt.Sprintf("%s ×%d", name, a.n[name]))
	}
	return strings.Join(parts, ", ")
}

// rssTrack keeps soakbot's resident memory samples, one a second after
// the warm-up. Go's heap breathes with the garbage collector, so the start
// and the end are the medians of the first and the last tenth of the
// samples (at least 5 each).
type rssTrack struct{ samples []int64 }

func (r *rssTrack) sample(t *testing.T, d *daemon) {
	if d.pid() == 0 {
		return
	}
	v, err := RSS(d.pid())
	if err != nil {
		t.Logf("rss: %v", err)
		return
	}
	r.samples = append(r.samples, v)
}

func (r *rssTrack) ends() (first, last int64, ok bool) {
	w := max(5, len(r.samples)/10)
	if len(r.samples) < 2*w {
		return 0, 0, false
	}
	return median(r.samples[:w]), median(r.samples[len(r.samples)-w:]), true
}

func median(v []int64) int64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func (r *rssTrack) drift() (float64, bool) {
	first, last, ok := r.ends()
	if !ok {
		return 0, false
	}
	return float64(last-first) / float64(first), true
}

func (r *rssTrack) String() string {
	first, last, ok := r.ends()
	if !ok {
		return fmt.Sprintf("too few samples (%d)", len(r.samples))
	}
	lo, hi := slices.Min(r.samples), slices.Max(r.samples)
	d, _ := r.drift()
	mib := func(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20)) }
	return fmt.Sprintf("after warm-up %s, at end %s (drift %+.1f %%; medians of the first and last tenth), range %s..%s over %d samples",
		mib(first), mib(last), 100*d, mib(lo), mib(hi), len(r.samples))
}

// disk is trustd's state directory: a small tmpfs when this process may
// mount one (root), so that the test can fill it; else a plain directory
// and no disk-full step.
type disk struct {
	dir     string
	mounted bool
}

func stateDisk(t *testing.T, dir string) *disk {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	d := &disk{dir: dir}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m,mode=0755"); err != nil {
		t.Logf("chaos: cannot mount a tmpfs for the state directory (%v): no disk-full step", err)
		return d
	}
	d.mounted = true
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return d
}

// fill writes a file until the disk is full; false when the disk is not
// a tmpfs of the test's.
func (d *disk) fill(t *testing.T) bool {
	if !d.mounted {
		return false
	}
	f, err := os.Create(filepath.Join(d.dir, "filler"))
	if err != nil {
		t.Fatalf("fill: %v", err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("fill: %v", err)
			}
			break
		}
	}
	// The last partial pages too.
	for _, n := range []int{4096, 512, 64, 1} {
		for {
			if _, err := f.Write(chunk[:n]); err != nil {
				break
			}
		}
	}
	return true
}

func (d *disk) free(t *testing.T) {
	if err := os.Remove(filepath.Join(d.dir, "filler")); err != nil {
		t.Fatalf("free: %v", err)
	}
}

// daemon is one robot's trustd, started and stopped again and again.
type daemon struct {
	t        *testing.T
	bin, dir string
	robot    string
	state    string
	cfg      string
	ledger   *Ledger

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	logf string
	runs int
	logs []RunLog
}

func newDaemon(t *testing.T, bin, root, stateRoot, robot, broker, scenario, models string, l *Ledger) *daemon {
	t.Helper()
	d := &daemon{t: t, bin: bin, dir: filepath.Join(root, robot), robot: robot,
		state: filepath.Join(stateRoot, robot), ledger: l}
	if err := os.MkdirAll(d.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`robot: %s
log_level: info
state_dir: %s
http:
  listen: ""
mqtt:
  broker: %s
  heartbeat: %v
  keepalive: 2s
  commands: [recalibrate, loglevel]
host:
  learn_for: 0s
models:
  dir: %s
  allow_unsigned: true
sensors:
  - {name: lidar0, driver: sim-lidar, scenario: %s, period: 100ms}
  - {name: cam0, driver: sim-camera, scenario: %s, period: 100ms, width: 160, height: 120}
`, robot, d.state, broker, heartbeat, models, scenario, scenario)
	d.cfg = filepath.Join(d.dir, "trustd.yaml")
	if err := os.WriteFile(d.cfg, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.mu.Lock()
		cmd, done := d.cmd, d.done
		d.mu.Unlock()
		if cmd != nil {
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.runs++
	d.logf = filepath.Join(d.dir, fmt.Sprintf("run-%03d.log", d.runs))
	logf, err := os.Create(d.logf)
	if err != nil {
		d.t.Fatal(err)
	}
	cmd := exec.Command(d.bin, "--config", d.cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET=")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		d.t.Fatalf("start trustd: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	d.cmd, d.done = cmd, done
	d.ledger.Up(d.robot)
}

func (d *daemon) pid() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return 0
	}
	return d.cmd.Process.Pid
}

// checkAlive fails the test when trustd exited without being asked.
func (d *daemon) checkAlive() {
	d.mu.Lock()
	done, logf := d.done, d.logf
	d.mu.Unlock()
	if done == nil {
		return
	}
	select {
	case <-done:
		b, _ := os.ReadFile(logf)
		d.t.Fatalf("%s: trustd exited on its own:\n%s", d.robot, tailLines(string(b), 30))
	default:
	}
}

// stop signals trustd, waits for it to exit and books what its run logged.
func (d *daemon) stop(sig syscall.Signal) {
	d.t.Helper()
	d.mu.Lock()
	cmd, done, logf := d.cmd, d.done, d.logf
	d.cmd, d.done = nil, nil
	d.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		d.t.Errorf("%s: trustd did not stop within 10 s of %v", d.robot, sig)
		_ = cmd.Process.Kill()
		<-done
	}
	d.ledger.Down(d.robot, time.Now())
	if sig == syscall.SIGTERM && !cmd.ProcessState.Success() {
		d.t.Errorf("%s: trustd exit after SIGTERM: %v", d.robot, cmd.ProcessState)
	}
	f, err := os.Open(logf)
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	rl, err := ScanLog(f)
	if err != nil {
		d.t.Fatal(err)
	}
	epoch, err := readEpoch(filepath.Join(d.state, "outbox", "seq.json"))
	if err != nil {
		d.t.Fatalf("%s: %v", d.robot, err)
	}
	d.logs = append(d.logs, rl)
	d.ledger.Logged(d.robot, epoch, rl.Changes)
}

func readEpoch(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var s struct {
		Epoch uint64 `json:"epoch"`
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Epoch == 0 {
		return 0, fmt.Errorf("%s: %q: %v", path, b, err)
	}
	return s.Epoch, nil
}

func tailLines(s string, n int) string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	return strings.Join(ls, "\n")
}
