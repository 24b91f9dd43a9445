package mqtt_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/sensortrust/trustagent/internal/mosquittotest"
)

// documentedACL returns the mosquitto acl_file that docs/mqtt.md gives for
// a fleet, as a user would copy it.
func documentedACL(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "mqtt.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "`acl_file`")
	if !ok {
		t.Fatal("docs/mqtt.md has no acl_file example")
	}
	_, block, _ := strings.Cut(after, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		lines = append(lines, strings.TrimSpace(l))
	}
	return strings.Join(lines, "\n")
}

// TestDocumentedACLRefusesFakeStates runs mosquitto with the documented
// ACL and per-robot passwords: a robot's own state reaches a dashboard,
// while a retained fake state that another robot, the dashboard or an
// anonymous client publishes on that robot's topic never does, not even
// to a late subscriber.
func TestDocumentedACLRefusesFakeStates(t *testing.T) {
	passwd := mosquittotest.Require(t, "mosquitto_passwd")
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "passwords")
	for i, u := range []string{"r1", "r2", "dashboard", "ops"} {
		args := []string{"-b", pwFile, u, "pw-" + u}
		if i == 0 {
			args = append([]string{"-c"}, args...)
		}
		if out, err := exec.Command(passwd, args...).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd: %v: %s", err, out)
		}
	}
	aclFile := filepath.Join(dir, "acl")
	if err := os.WriteFile(aclFile, []byte(documentedACL(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := mosquittotest.StartWith(t, nil, "allow_anonymous false\npassword_file "+pwFile+"\nacl_file "+aclFile+"\n")
	url := b.URL("tcp")

	connect := func(id, user string) (paho.Client, error) {
		o := paho.NewClientOptions().AddBroker(url).SetClientID(id).SetConnectTimeout(3 * time.Second)
		if user != "" {
			o.SetUsername(user).SetPassword("pw-" + user)
		}
		c := paho.NewClient(o)
		tok := c.Connect()
		if !tok.WaitTimeout(5 * time.Second) {
			return nil, os.ErrDeadlineExceeded
		}
		return c, tok.Error()
	}
	if c, err := connect("anonymous", ""); err == nil {
		c.Disconnect(50)
		t.Error("an anonymous client connected")
	}

	var mu sync.Mutex
	got := map[string][]string{}
	watch := func(user string) paho.Client {
		c, err := connect("watch-"+user, user)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		tok := c.Subscribe("trust/v1/+/+", 1, func(_ paho.Client, m paho.Message) {
			mu.Lock()
			got[user] = append(got[user], m.Topic()+" "+string(m.Payload()))
			mu.Unlock()
		})
		if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
			t.Fatalf("%s: subscribe: %v", user, tok.Error())
		}
		return c
	}
	dash := watch("dashboard")
	defer dash.Disconnect(50)

	publish := func(user, topic, payload string) {
		c, err := connect("publish-"+user, user)
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		defer c.Disconnect(50)
		// mosquitto acknowledges a refused publish and drops it.
		if tok := c.Publish(topic, 1, true, payload); !tok.WaitTimeout(5 * time.Second) {
			t.Fatalf("%s: publish timed out", user)
		}
	}
	publish("r2", "trust/v1/r1/lidar0", "fake from r2")
	publish("dashboard", "trust/v1/r1/lidar0", "fake from dashboard")
	publish("ops", "trust/v1/r1/lidar0", "fake from ops")
	publish("r1", "trust/v1/r1/lidar0", "real from r1")
	publish("r2", "trust/v1/r2/lidar0", "real from r2")

	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got["dashboard"])
		mu.Unlock()
		if n >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // a refused message would have come by now
	late := watch("ops")
	defer late.Disconnect(50)
	time.Sleep(500 * time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	want := []string{"trust/v1/r1/lidar0 real from r1", "trust/v1/r2/lidar0 real from r2"}
	for _, user := range []string{"dashboard", "ops"} {
		if strings.Join(got[user], "|") != strings.Join(want, "|") {
			t.Errorf("%s received %q, want %q", user, got[user], want)
		}
	}
}
