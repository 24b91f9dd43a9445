package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sensortrust/trustagent/internal/fleetload"
	"github.com/sensortrust/trustagent/internal/mosquittotest"
)

// BenchmarkWatchFleet measures one mosquitto broker and `trustctl watch`
// under a simulated fleet (package fleetload): N robots of 3 sensors, each
// robot on its own connection, publishing its retained states and summary
// every 5 s heartbeat, one level change per robot a minute on average. It
// reports how long `trustctl watch --once` takes to read the whole retained
// fleet, then runs `trustctl watch` on a 50-line pseudo-terminal for
// watchWindow and reports the CPU use (fraction of one core) and peak RSS
// of watch and of mosquitto over that time, and the generator's own CPU.
// mosquitto runs with max_queued_messages 100000, as docs/mqtt.md advises
// for a broker that fleet views read.
//
// It takes minutes and a real mosquitto, so it runs only when asked:
//
//	TRUSTAGENT_MEASURE=1 go test -run '^$' -bench WatchFleet -benchtime 1x -timeout 20m ./cmd/trustctl/
func BenchmarkWatchFleet(b *testing.B) {
	if os.Getenv("TRUSTAGENT_MEASURE") == "" {
		b.Skip("set TRUSTAGENT_MEASURE=1 to measure watch and mosquitto under a simulated fleet (minutes)")
	}
	const watchWindow = 30 * time.Second
	bin := filepath.Join(b.TempDir(), "trustctl")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	// One descriptor per robot in mosquitto and here; children inherit the limit.
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil {
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	for _, robots := range []int{1000, 5000} {
		b.Run(fmt.Sprintf("robots=%d", robots), func(b *testing.B) {
			if lim.Cur < uint64(robots)+100 {
				b.Fatalf("open file limit %d is too low for %d connections", lim.Cur, robots)
			}
			for range b.N {
				measureWatch(b, bin, robots, watchWindow)
			}
		})
	}
}

func measureWatch(b *testing.B, bin string, robots int, window time.Duration) {
	// mosquitto sends a new subscriber's retained messages at once and drops
	// what exceeds max_queued_messages (default 1000); docs/mqtt.md, "Fleet".
	mq := mosquittotest.StartWith(b, nil, "max_queued_messages 100000\n")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	t0 := time.Now()
	load, err := fleetload.Start(ctx, fleetload.Options{Broker: mq.URL("tcp"), Robots: robots})
	if err != nil {
		b.Fatalf("%v\n%s", err, tail(mq.Log(), 2000))
	}
	defer load.Stop()
	b.Logf("%d robots connected in %v", robots, time.Since(t0).Round(time.Millisecond))
	time.Sleep(6 * time.Second) // every robot has sent a heartbeat

	// watch --once: the whole retained fleet, once.
	var out, errb bytes.Buffer
	once := exec.CommandContext(ctx, bin, "watch", "--once", "--broker", mq.URL("tcp"))
	once.Stdout, once.Stderr = &out, &errb
	start := time.Now()
	mqBefore, _ := fleetload.CPUTime(mq.PID())
	if err := once.Run(); err != nil {
		b.Fatalf("watch --once: %v: %s", err, errb.String())
	}
	onceTime := time.Since(start)
	header := strings.SplitN(out.String(), "\n", 2)[0]
	if want := fmt.Sprintf("robots %d (%d online", robots, robots); !strings.Contains(header, want) {
		b.Fatalf("watch --once saw %q, want %q\n%s", header, want, grepLines(mq.Log(), "dropped"))
	}
	mqAfter, _ := fleetload.CPUTime(mq.PID())
	b.Logf("watch --once: %v (CPU: its own %v, mosquitto's %v), %d lines: %s", onceTime.Round(time.Millisecond),
		(once.ProcessState.UserTime() + once.ProcessState.SystemTime()).Round(time.Millisecond), mqAfter-mqBefore, strings.Count(out.String(), "\n"), header)

	// watch on a terminal.
	ptm, pts, err := openPTY(50, 160)
	if err != nil {
		b.Fatal(err)
	}
	defer ptm.Close()
	watch := exec.CommandContext(ctx, bin, "watch", "--broker", mq.URL("tcp"), "--interval", "1s")
	watch.Stdout, watch.Stderr = pts, &errb
	if err := watch.Start(); err != nil {
		b.Fatal(err)
	}
	pts.Close()
	screen := &lastScreen{}
	go io.Copy(screen, ptm)
	time.Sleep(5 * time.Second) // connected, retained messages read
	procs := map[string]int{"watch": watch.Process.Pid, "mosquitto": mq.PID(), "generator": os.Getpid()}
	before := map[string]time.Duration{}
	for name, pid := range procs {
		if before[name], err = fleetload.CPUTime(pid); err != nil {
			b.Fatal(err)
		}
	}
	st0, wall0 := load.Stats(), time.Now()
	time.Sleep(window)
	wall, st1 := time.Since(wall0), load.Stats()
	for _, name := range []string{"watch", "mosquitto", "generator"} {
		after, err := fleetload.CPUTime(procs[name])
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric((after-before[name]).Seconds()/wall.Seconds(), name+"-core")
		if name != "generator" {
			rss, err := fleetload.PeakRSS(procs[name])
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(rss)/(1<<20), name+"-peak-MB")
		}
	}
	b.ReportMetric(onceTime.Seconds(), "once-s")
	b.ReportMetric(float64(st1.Published-st0.Published)/wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(st1.Changes-st0.Changes)/wall.Seconds(), "changes/s")
	_ = watch.Process.Signal(os.Interrupt)
	_ = watch.Wait()
	last := screen.last()
	if want := fmt.Sprintf("robots %d (%d online", robots, robots); !strings.Contains(last, want) || !strings.Contains(last, "more") {
		b.Fatalf("watch's last screen lacks %q or the \"more\" line:\n%s\n%s", want, last, errb.String())
	}
}

// lastScreen keeps what was written since the latest clear-screen.
type lastScreen struct {
	mu  sync.Mutex
	buf []byte
}

func (s *lastScreen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf = append(s.buf, p...)
	if i := bytes.LastIndex(s.buf, []byte("\x1b[2J")); i > 0 && len(s.buf) > 1<<20 {
		s.buf = append([]byte(nil), s.buf[i:]...)
	}
	return len(p), nil
}

func (s *lastScreen) last() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buf
	if i := bytes.LastIndex(b, []byte("\x1b[2J")); i >= 0 {
		b = b[i:]
	}
	return string(b)
}

// openPTY opens a pseudo-terminal of rows × cols: the master to read
// from, the slave to give a child as its stdout.
func openPTY(rows, cols uint16) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		m.Close()
		s.Close()
		return nil, nil, fmt.Errorf("pty size: %w", err)
	}
	return m, s, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
