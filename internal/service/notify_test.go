package service

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/internal/service/servicetest"
)

func fakeManager(t *testing.T) <-chan string { return servicetest.Manager(t) }

func next(t *testing.T, msgs <-chan string) string {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(2 * time.Second):
		t.Fatal("no notify message")
		return ""
	}
}

func TestNotifyProtocol(t *testing.T) {
	msgs := fakeManager(t)
	var n Notifier
	if err := n.Ready("scoring 2 sensors"); err != nil {
		t.Fatal(err)
	}
	if got := next(t, msgs); got != "READY=1\nSTATUS=scoring 2 sensors" {
		t.Errorf("ready sent %q", got)
	}
	n.Status("lidar0 ERROR")
	if got := next(t, msgs); got != "STATUS=lidar0 ERROR" {
		t.Errorf("status sent %q", got)
	}
	n.Reloading()
	if got := next(t, msgs); got != "RELOADING=1" {
		t.Errorf("reloading sent %q", got)
	}
	n.Stopping()
	if got := next(t, msgs); got != "STOPPING=1" {
		t.Errorf("stopping sent %q", got)
	}
}

func TestNotifyWithoutManagerIsSilent(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	if err := (Notifier{}).Ready("x"); err != nil {
		t.Errorf("Ready without a manager: %v", err)
	}
}

func TestWatchdogPingsOnlyOnProgress(t *testing.T) {
	msgs := fakeManager(t)
	var progress atomic.Uint64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		RunWatchdog(ctx, Notifier{}, 10*time.Millisecond, progress.Load)
		close(done)
	}()
	// Stalled pipeline: no pings.
	select {
	case m := <-msgs:
		t.Fatalf("pinged %q while the pipeline made no progress", m)
	case <-time.After(80 * time.Millisecond):
	}
	// Progress: pings resume.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
				progress.Add(1)
			}
		}
	}()
	if got := next(t, msgs); got != "WATCHDOG=1" {
		t.Errorf("watchdog sent %q", got)
	}
	close(stop)
	cancel()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("RunWatchdog did not return on cancel")
	}
}

func TestWatchdogInterval(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "4000000")
	t.Setenv("WATCHDOG_PID", "")
	d, ok := WatchdogInterval()
	if !ok || d != 2*time.Second {
		t.Errorf("WatchdogInterval = %v, %v; want 2s, true", d, ok)
	}
	t.Setenv("WATCHDOG_USEC", "")
	if _, ok := WatchdogInterval(); ok {
		t.Error("watchdog enabled without WATCHDOG_USEC")
	}
}

func TestNewLogger(t *testing.T) {
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "warn")
	if err != nil {
		t.Fatal(err)
	}
	log.Info().Msg("hidden")
	log.Warn().Str("sensor", "lidar0").Msg("shown")
	out := buf.String()
	if strings.Contains(out, "hidden") || !strings.Contains(out, `"sensor":"lidar0"`) || !strings.HasPrefix(out, "{") {
		t.Errorf("log output %q", out)
	}
	if _, err := NewLogger(&buf, "loud"); err == nil {
		t.Error("bad level accepted")
	}
}

// TestJournalPriorities: on the journald stream each line carries its
// syslog priority before the JSON object.
func TestJournalPriorities(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if toJournal(f, func(string) string { return "" }) || toJournal(f, func(string) string { return "1:2" }) {
		t.Error("a stream that is not journald's taken for it")
	}
	t.Setenv("JOURNAL_STREAM", fmt.Sprintf("%d:%d", st.Dev, st.Ino))
	log, err := NewLogger(f, "debug")
	if err != nil {
		t.Fatal(err)
	}
	log.Error().Msg("broken")
	log.Warn().Msg("odd")
	log.Info().Msg("fine")
	log.Debug().Msg("detail")
	b, _ := os.ReadFile(f.Name())
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := []string{"<3>{", "<4>{", "<6>{", "<7>{"}
	if len(lines) != len(want) {
		t.Fatalf("lines %q", lines)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, want[i]) || !json.Valid([]byte(strings.TrimPrefix(l, want[i][:3]))) {
			t.Errorf("line %d %q, want %s then a JSON object", i, l, want[i])
		}
	}
}
