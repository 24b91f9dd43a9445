package mosquittotest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Require returns the path of a tool, skipping the test (failing under
// CI=true) when it is not installed.
func Require(tb testing.TB, tool string) string {
	tb.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
			if cand := filepath.Join(dir, tool); isExec(cand) {
				return cand
			}
		}
		msg := fmt.Sprintf("%s not installed (Debian packages mosquitto and mosquitto-clients)", tool)
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	return p
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TLS names the PEM files of a TLS listener.
type TLS struct {
	CAFile, CertFile, KeyFile string
	RequireClientCert         bool
}

// Broker is a mosquitto process.
type Broker struct {
	tb   testing.TB
	bin  string
	Dir  string
	Port int
	conf string
	mu   sync.Mutex
	cmd  *exec.Cmd
	log  *os.File
}

// Start writes a configuration (loopback listener, anonymous access,
// persistence in a temporary directory so sessions survive Stop/Restart)
// and starts mosquitto. tlsCfg may be nil.
func Start(tb testing.TB, tlsCfg *TLS) *Broker {
	tb.Helper()
	return StartWith(tb, tlsCfg, "")
}

// StartWith is Start with extra lines appended to the configuration
// (e.g. "max_queued_messages 100000\n").
func StartWith(tb testing.TB, tlsCfg *TLS, extra string) *Broker {
	tb.Helper()
	b := &Broker{tb: tb, bin: Require(tb, "mosquitto"), Dir: tb.TempDir(), Port: FreePort(tb)}
	var c strings.Builder
	fmt.Fprintf(&c, "listener %d 127.0.0.1\nallow_anonymous true\n", b.Port)
	if u, err := user.Current(); err == nil {
		// Started as root, mosquitto drops to user "mosquitto", who cannot
		// read the test's temporary files; stay who we are.
		fmt.Fprintf(&c, "user %s\n", u.Username)
	}
	fmt.Fprintf(&c, "persistence true\npersistence_location %s/\nautosave_interval 0\n", b.Dir)
	fmt.Fprintf(&c, "log_dest stderr\nlog_type error\nlog_type warning\nlog_type notice\nlog_type information\nconnection_messages true\n")
	if tlsCfg != nil {
		fmt.Fprintf(&c, "cafile %s\ncertfile %s\nkeyfile %s\n", tlsCfg.CAFile, tlsCfg.CertFile, tlsCfg.KeyFile)
		if tlsCfg.RequireClientCert {
			c.WriteString("require_certificate true\n")
		}
	}
	c.WriteString(extra)
	b.conf = filepath.Join(b.Dir, "mosquitto.conf")
	if err := os.WriteFile(b.conf, []byte(c.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	b.Restart()
	tb.Cleanup(b.kill)
	return b
}

// URL is the broker's tcp:// (or ssl://) URL.
func (b *Broker) URL(scheme string) string { return fmt.Sprintf("%s://127.0.0.1:%d", scheme, b.Port) }

// PID is the running mosquitto's process id; 0 after Stop.
func (b *Broker) PID() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return 0
	}
	return b.cmd.Process.Pid
}

// Restart starts mosquitto again after Stop, on the same port and state.
func (b *Broker) Restart() {
	b.tb.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	logf, err := os.OpenFile(filepath.Join(b.Dir, "mosquitto.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.tb.Fatal(err)
	}
	cmd := exec.Command(b.bin, "-c", b.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		b.tb.Fatalf("start mosquitto: %v", err)
	}
	b.cmd, b.log = cmd, logf
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", b.Port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			b.tb.Fatalf("mosquitto did not listen on %d: %v\n%s", b.Port, err, b.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop ends mosquitto with SIGTERM (it saves its persistent state) and
// waits for it to exit.
func (b *Broker) Stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = b.cmd.Process.Kill()
		<-done
	}
	b.log.Close()
	b.cmd = nil
}

func (b *Broker) kill() { b.Stop() }

// Log returns what mosquitto logged so far.
func (b *Broker) Log() string {
	s, _ := os.ReadFile(filepath.Join(b.Dir, "mosquitto.log"))
	return string(s)
}

// Sub is a running mosquitto_sub that records "topic payload" lines.
type Sub struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	cond  chan struct{} // signalled on every line
	done  chan struct{}
}

// Subscribe starts mosquitto_sub -v with extra arguments (topic filters,
// -q, -c, -i, TLS files) against the broker and records its output.
func Subscribe(tb testing.TB, port int, args ...string) *Sub {
	tb.Helper()
	bin := Require(tb, "mosquitto_sub")
	all := append([]string{"-h", "127.0.0.1", "-p", fmt.Sprint(port), "-v"}, args...)
	cmd := exec.Command(bin, all...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start mosquitto_sub: %v", err)
	}
	s := &Sub{cmd: cmd, cond: make(chan struct{}, 1), done: make(chan struct{})}
	go s.read(out)
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		_ = cmd.Wait()
	})
	return s
}

func (s *Sub) read(r io.Reader) {
	defer close(s.done)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.mu.Lock()
		s.lines = append(s.lines, sc.Text())
		s.mu.Unlock()
		select {
		case s.cond <- struct{}{}:
		default:
		}
	}
}

// Lines returns the lines so far.
func (s *Sub) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// Messages returns the payloads received on topic, in order.
func (s *Sub) Messages(topic string) []string {
	var out []string
	for _, l := range s.Lines() {
		if t, p, ok := strings.Cut(l, " "); ok && t == topic {
			out = append(out, p)
		}
	}
	return out
}

// WaitFor waits until cond holds for the lines, or fails the test after timeout.
func (s *Sub) WaitFor(tb testing.TB, timeout time.Duration, what string, cond func(lines []string) bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for !cond(s.Lines()) {
		select {
		case <-ctx.Done():
			tb.Fatalf("mosquitto_sub: timed out after %v waiting for %s; got %d lines, last: %q", timeout, what, len(s.Lines()), tail(s.Lines(), 5))
		case <-s.cond:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Has reports whether a line "topic payload" was received.
func Has(topic, payload string) func([]string) bool {
	want := topic + " " + payload
	return func(lines []string) bool {
		for _, l := range lines {
			if l == want {
				return true
			}
		}
		return false
	}
}

func tail(s []string, n int) []string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}
