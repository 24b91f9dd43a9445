package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/fleet"
)

// fleetBroker starts an embedded broker holding the retained state of
// three robots, as trustd publishes it:
//
//	r1 online:  lidar0 OK, cam0 ERROR (score_high)
//	r2 online:  lidar0 OK whose expiry has passed (trustd went silent)
//	r3 offline: lidar0 OK (fresh, but the robot's last will says offline)
//
// and one malformed state. With users, it publishes as the first one, whose
// password is pw.
func fleetBroker(t *testing.T, cfg broker.Config, pw string) *broker.Broker {
	t.Helper()
	cfg.Address = "127.0.0.1:0"
	b, err := broker.Start(context.Background(), cfg, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	now := time.Now().UTC()
	var msgs []transport.Message
	state := func(robot, sensor string, lv transport.Level, at time.Time, reasons ...transport.Reason) {
		topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
		st := &transport.State{Robot: robot, Sensor: sensor, Level: lv, Trusted: lv == transport.LevelOK,
			Reasons: reasons, Seq: 1<<32 | 2, Time: at, Expires: at.Add(15 * time.Second)}
		if lv != transport.LevelOK {
			st.Cause = transport.CauseSensor
		}
		m, err := topics.StateMessage(st)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m, transport.Message{Topic: topics.Status(), Payload: []byte("online"), QoS: 1, Retained: true})
	}
	state("r1", "lidar0", transport.LevelOK, now)
	state("r1", "cam0", transport.LevelError, now, transport.Reason{Code: "score_high", Feature: "score", Value: 7.93})
	state("r2", "lidar0", transport.LevelOK, now.Add(-time.Minute))
	state("r3", "lidar0", transport.LevelOK, now)
	msgs = append(msgs,
		transport.Message{Topic: "trust/v1/r3/status", Payload: []byte("offline"), QoS: 1, Retained: true},
		transport.Message{Topic: "trust/v1/r4/lidar0", Payload: []byte("{not json"), QoS: 1, Retained: true})
	po := paho.NewClientOptions().AddBroker(b.URL()).SetClientID("fleet-" + t.Name())
	if len(cfg.Users) > 0 {
		po.SetUsername(cfg.Users[0].Username).SetPassword(pw)
	}
	c := paho.NewClient(po)
	if tok := c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("connect: %v", tok.Error())
	}
	defer c.Disconnect(50)
	for _, m := range msgs {
		if tok := c.Publish(m.Topic, 1, true, m.Payload); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("publish: %v", tok.Error())
		}
	}
	return b
}

// columns splits the table's lines into their columns (the REASONS
// column may hold spaces, so it is the rest of the line).
func columns(out string) [][]string {
	var rows [][]string
	_, table, _ := strings.Cut(out, "REASONS\n")
	for _, l := range strings.Split(table, "\n") {
		if f := strings.Fields(l); len(f) >= 7 {
			rows = append(rows, append(f[:6:6], strings.Join(f[6:], " ")))
		}
	}
	return rows
}

func TestWatchOnce(t *testing.T) {
	b := fleetBroker(t, broker.Config{}, "")
	code, out, stderr := runCmd(t, "watch", "--once", "--broker", b.URL(), "--settle", "200ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("escape codes in output to a non-terminal: %q", out)
	}
	header := strings.SplitN(out, "\n", 2)[0]
	for _, want := range []string{"robots 4 (2 online, 1 offline)", "OK 1  WARN 0  ERROR 1  STALE 3", b.URL()} {
		if !strings.Contains(header, want) {
			t.Errorf("header %q lacks %q", header, want)
		}
	}
	// The broker may deliver the malformed state twice (at least once).
	if !regexp.MustCompile(`(?m)^warning: [12] malformed messages ignored, the latest: .*trust/v1/r4/lidar0`).MatchString(out) {
		t.Errorf("no warning about the malformed state:\n%s", out)
	}
	if !strings.Contains(out, "\nwarning: 1 robots without a status message") {
		t.Errorf("no warning about r4's missing status:\n%s", out)
	}
	want := [][]string{
		{"r1", "cam0", "ERROR", "no", "sensor", "", "score_high score=7.93"},
		{"r2", "lidar0", "STALE", "no", "-", "", "state expired"},
		{"r3", "lidar0", "STALE", "no", "-", "", "robot offline"},
		{"r4", "-", "STALE", "no", "-", "-", "no status"},
		{"r1", "lidar0", "OK", "yes", "-", "", "-"},
	}
	got := columns(out)
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(got), len(want), out)
	}
	for i := range want {
		for j := range want[i] {
			if j == 5 { // age: "<1s" or a few seconds, a minute for r2
				continue
			}
			if got[i][j] != want[i][j] {
				t.Errorf("row %d column %d: %q, want %q\n%s", i, j, got[i][j], want[i][j], out)
			}
		}
	}
	if a := got[1][5]; !strings.HasPrefix(a, "1m") {
		t.Errorf("r2's age %q, want about a minute", a)
	}

	// --robot narrows the view, flags after others in any order.
	code, out, stderr = runCmd(t, "watch", "--broker", b.URL(), "--settle", "200ms", "--robot", "r[12]", "--once")
	if code != 0 {
		t.Fatalf("--robot: exit %d: %s", code, stderr)
	}
	if got := columns(out); len(got) != 3 || !strings.Contains(out, "robots 2 (2 online, 0 offline)") {
		t.Errorf("--robot 'r[12]':\n%s", out)
	}
}

func TestWatchCredentials(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := fleetBroker(t, broker.Config{Users: []broker.User{
		{Username: "robot", PasswordFile: pw},
		{Username: "ops", PasswordFile: pw, ACL: map[string]string{"trust/v1/+/+": "read"}},
	}}, "s3cret")
	code, _, stderr := runCmd(t, "watch", "--once", "--broker", b.URL())
	if code != 1 || !strings.Contains(stderr, "username or password") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("no credentials: exit %d, stderr %q", code, stderr)
	}
	code, out, stderr := runCmd(t, "watch", "--once", "--broker", b.URL(), "--username", "ops", "--password-file", pw, "--settle", "100ms")
	if code != 0 || !strings.Contains(out, "robots 4 (2 online, 1 offline)") {
		t.Errorf("ops: exit %d, stderr %q\n%s", code, stderr, out)
	}
	t.Setenv(watchPasswordEnv, "s3cret")
	code, _, stderr = runCmd(t, "watch", "--once", "--broker", b.URL(), "--username", "ops", "--prefix", "other", "--settle", "100ms")
	if code != 1 || !strings.Contains(stderr, "refused by the broker") {
		t.Errorf("a prefix outside the ACL: exit %d, stderr %q", code, stderr)
	}
}

func TestWatchFlags(t *testing.T) {
	for _, args := range [][]string{
		{"watch", "--bogus"},
		{"watch", "stray"},
		{"watch", "--robot", "["},
		{"watch", "--interval", "0s"},
		{"watch", "--prefix", "trust/#"},
		{"watch", "--broker", "http://x:1"},
		{"watch", "--broker", "tcp://x:1", "--ca-file", "ca.pem"},
		{"watch", "--cert-file", "c.pem", "--broker", "ssl://x:8883"},
	} {
		code, out, stderr := runCmd(t, args...)
		if code != 2 || out != "" || strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "trustctl watch: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want exit 2 and one line", args, code, out, stderr)
		}
	}
	code, out, _ := runCmd(t, "watch", "-h")
	for _, flag := range []string{"-broker", "-prefix", "-robot", "-once", "-interval", "-username", "-password-file", "-ca-file", "-cert-file", "-key-file"} {
		if code != 0 || !strings.Contains(out, flag) {
			t.Errorf("watch -h: exit %d, no %s in\n%s", code, flag, out)
		}
	}
	// Nobody listening: one line that says so, exit 1.
	code, _, stderr := runCmd(t, "watch", "--once", "--broker", "tcp://127.0.0.1:1", "--timeout", "5s")
	if code != 1 || !strings.Contains(stderr, "no broker listening") {
		t.Errorf("no broker: exit %d, stderr %q", code, stderr)
	}
}

// TestWatchTableFitsTheTerminal: on a terminal the table keeps to its
// height, says how many rows it left out, and colours the levels.
func TestWatchTableFitsTheTerminal(t *testing.T) {
	fl, err := fleet.New(fleet.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 10 {
		robot := fmt.Sprintf("r%02d", i)
		topics := transport.Topics{Prefix: transport.DefaultPrefix(robot)}
		fl.Feed(topics.Status(), []byte("online"))
		m, err := topics.StateMessage(&transport.State{Robot: robot, Sensor: "lidar0", Level: transport.LevelOK, Trusted: true,
			Seq: 1, Time: now, Expires: now.Add(time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		fl.Feed(m.Topic, m.Payload)
	}
	// A reason from a payload cannot send escape sequences to the terminal.
	topics := transport.Topics{Prefix: transport.DefaultPrefix("r99")}
	fl.Feed(topics.Status(), []byte("online"))
	m, err := topics.StateMessage(&transport.State{Robot: "r99", Sensor: "cam0", Level: transport.LevelError, Seq: 1, Time: now,
		Expires: now.Add(time.Minute), Reasons: []transport.Reason{{Code: "\x1b[2Jgotcha"}}})
	if err != nil {
		t.Fatal(err)
	}
	fl.Feed(m.Topic, m.Payload)
	snap := fl.Snapshot(now)
	var buf strings.Builder
	tab := &watchTable{w: &buf, broker: "tcp://b:1883", tty: true, height: func() int { return 6 }}
	t.Setenv("NO_COLOR", "")
	if err := tab.print(&snap, true); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 || lines[len(lines)-1] != "… 8 more" || !strings.Contains(lines[2], "?[2Jgotcha") || !strings.Contains(lines[4], "r01") {
		t.Errorf("%d lines:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(out, "\x1b[H\x1b[2J") || strings.Count(out, "\x1b[2J") != 1 || !strings.Contains(out, "\x1b[32mOK   \x1b[0m") {
		t.Errorf("no redraw or no colour: %q", out)
	}
	// The columns after the coloured one line up on the screen.
	visible := regexp.MustCompile("\x1b\\[[0-9;]*m")
	col := -1
	for _, l := range lines[1:5] {
		l = visible.ReplaceAllString(l, "")
		if i := strings.Index(l, "TRUSTED"); i >= 0 {
			col = i
		} else if col < 0 || len(l) <= col || l[col] != 'y' && l[col] != 'n' {
			t.Errorf("TRUSTED column at %d, not in line %q", col, l)
		}
	}
}
