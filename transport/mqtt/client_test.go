package mqtt

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/rs/zerolog"
	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/outbox"
)

// watcher is a plain paho subscriber that collects what it receives.
type watcher struct {
	c  paho.Client
	mu sync.Mutex
	by map[string][]string
}

func watch(t *testing.T, url, filter string) *watcher {
	t.Helper()
	w := &watcher{by: map[string][]string{}}
	o := paho.NewClientOptions().AddBroker(url).SetClientID("watcher-" + t.Name()).SetCleanSession(true).SetOrderMatters(true)
	w.c = paho.NewClient(o)
	if tok := w.c.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher connect: %v", tok.Error())
	}
	tok := w.c.Subscribe(filter, 1, func(_ paho.Client, m paho.Message) {
		w.mu.Lock()
		w.by[m.Topic()] = append(w.by[m.Topic()], string(m.Payload()))
		w.mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("watcher subscribe: %v", tok.Error())
	}
	t.Cleanup(func() { w.c.Disconnect(50) })
	return w
}

func (w *watcher) get(topic string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.by[topic]...)
}

func (w *watcher) waitFor(t *testing.T, topic string, cond func([]string) bool) []string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := w.get(topic)
		if cond(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: got %q", topic, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func last(want string) func([]string) bool {
	return func(s []string) bool { return len(s) > 0 && s[len(s)-1] == want }
}

func startBroker(t *testing.T, cfg broker.Config) *broker.Broker {
	t.Helper()
	if cfg.Address == "" {
		cfg.Address = "127.0.0.1:0"
	}
	b, err := broker.Start(context.Background(), cfg, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// TestOpenStackRefusesWithoutEpoch: when the boot epoch cannot be stored
// (here the state directory cannot be created: its parent is a file) the
// stack does not start, so it cannot publish numbers of an earlier run.
func TestOpenStackRefusesWithoutEpoch(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig("r1")
	cfg.OutboxDir = filepath.Join(file, "outbox")
	st, err := OpenStack(context.Background(), cfg, zerolog.Nop())
	if !errors.Is(err, outbox.ErrEpoch) || st != nil {
		t.Fatalf("OpenStack = %v, %v; want an ErrEpoch", st, err)
	}
	if !strings.Contains(err.Error(), "refusing to publish") {
		t.Errorf("error does not say what happens: %v", err)
	}
}

func TestPublishStatusAndCommands(t *testing.T) {
	b := startBroker(t, broker.Config{})
	cfg := DefaultConfig("r1")
	cfg.Broker = b.URL()
	got := make(chan string, 4)
	c, err := New(cfg, Options{OnCommand: func(_ context.Context, name string, p []byte) { got <- name + " " + string(p) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(ctx); err != nil { // already connected: a no-op that must not block publishing
		t.Fatal(err)
	}
	tp := c.Topics()
	st := &transport.State{Robot: "r1", Sensor: "lidar0", Level: transport.LevelOK, Trusted: true, Seq: 1, Expires: time.Now().Add(time.Minute)}
	m, err := tp.StateMessage(st)
	if err != nil {
		t.Fatal(err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Publish(pctx, m); err != nil {
		t.Fatal(err)
	}
	// A late subscriber gets the retained state and the birth message.
	w := watch(t, b.URL(), "trust/#")
	// (At least once: mochi occasionally hands a new subscriber the retained
	// message twice, so count distinct payloads.)
	w.waitFor(t, tp.Sensor("lidar0"), func(s []string) bool {
		return len(s) > 0 && strings.Contains(s[0], `"seq":1`) && len(slices.Compact(s)) == 1
	})
	w.waitFor(t, tp.Status(), last("online"))

	// Commands reach the handler, replies and deeper topics do not.
	w.c.Publish(tp.Reply("loglevel"), 1, false, `{"ok":true}`).Wait()
	w.c.Publish(tp.Command("loglevel"), 1, false, `{"level":"debug"}`).Wait()
	select {
	case s := <-got:
		if s != `loglevel {"level":"debug"}` {
			t.Fatalf("command %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("command not delivered")
	}
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, tp.Status(), last("offline"))
	if err := c.Publish(ctx, m); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("publish after close: %v", err)
	}
	if s := c.Stats(); s.Connects != 1 || s.CommandsReceived != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestBrokerCredentialsAndACL(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("s3cret\n"), 0o600)
	b := startBroker(t, broker.Config{Users: []broker.User{
		{Username: "robot", PasswordFile: pwFile, ACL: map[string]string{"trust/v1/r1/#": "readwrite"}},
		{Username: "ops", PasswordFile: pwFile}, // no ACL: everything
	}})
	// ACL: the robot may not subscribe outside its prefix. (A denied QoS 1
	// publish makes mochi disconnect an MQTT 3.1.1 client, so the ACL is
	// checked with a subscription.) It subscribes before anything retained
	// is published: the race detector reports a race inside mochi v2.7.9
	// between storing a retained message and a new subscription reading
	// the retained messages.
	raw := paho.NewClient(paho.NewClientOptions().AddBroker(b.URL()).SetClientID("raw").SetUsername("robot").SetPassword("s3cret"))
	if tok := raw.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("raw connect: %v", tok.Error())
	}
	defer raw.Disconnect(50)
	tok := raw.SubscribeMultiple(map[string]byte{"other/#": 1, "trust/v1/r1/#": 1}, nil)
	if !tok.WaitTimeout(5 * time.Second) {
		t.Fatal("subscribe timed out")
	}
	res := tok.(*paho.SubscribeToken).Result()
	if res["other/#"] != 0x80 || res["trust/v1/r1/#"] != 1 {
		t.Fatalf("ACL subscribe results %v", res)
	}
	cfg := DefaultConfig("r1")
	cfg.Broker = b.URL()
	cfg.Username = "robot"
	cfg.PasswordEnv = "TRUSTAGENT_TEST_PW"
	t.Setenv("TRUSTAGENT_TEST_PW", "wrong")
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Connect(context.Background())
	var ce *ConnectError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "username or password") {
		t.Fatalf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Fatal("password leaked into the error")
	}
	c.Close(context.Background())

	t.Setenv("TRUSTAGENT_TEST_PW", "s3cret")
	c, err = New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Publish(ctx, transport.Message{Topic: "trust/v1/r1/lidar0", Payload: []byte("x"), QoS: 1}); err != nil {
		t.Fatalf("allowed topic: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := DefaultConfig("r1")
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		field string
		mod   func(*Config)
	}{
		"scheme":       {"broker", func(c *Config) { c.Broker = "http://x:1" }},
		"no port":      {"broker", func(c *Config) { c.Broker = "tcp://x" }},
		"tls on tcp":   {"ca_file", func(c *Config) { c.CAFile = "ca.pem" }},
		"half pair":    {"key_file", func(c *Config) { c.Broker = "ssl://x:8883"; c.CertFile = "c.pem" }},
		"creds in url": {"broker", func(c *Config) { c.Broker = "tcp://u:p@x:1883" }},
		"pw no user":   {"password_env", func(c *Config) { c.PasswordEnv = "X" }},
		"both pw":      {"password_env", func(c *Config) { c.Username = "u"; c.PasswordEnv = "X"; c.PasswordFile = "f" }},
		"robot":        {"robot", func(c *Config) { c.Robot = "a/b" }},
		"prefix":       {"topic_prefix", func(c *Config) { c.TopicPrefix = "a/#" }},
		"keepalive":    {"keepalive", func(c *Config) { c.KeepAlive = time.Millisecond }},
		"command":      {"commands[0]", func(c *Config) { c.Commands = []string{"reboot"} }},
		"client id":    {"client_id", func(c *Config) { c.ClientID = "a/b" }},
	} {
		c := ok
		tc.mod(&c)
		err := c.Validate()
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != tc.field {
			t.Errorf("%s: error %v, want one about %s", name, err, tc.field)
		}
	}
	missing := ok
	missing.Broker, missing.CAFile = "ssl://x:8883", filepath.Join(t.TempDir(), "ca.pem")
	var ce *ConfigError
	if err := missing.CheckFiles(); !errors.As(err, &ce) || ce.Field != "ca_file" {
		t.Errorf("missing ca_file: %v", err)
	}
	if err := ok.CheckFiles(); err != nil {
		t.Errorf("plain tcp: %v", err)
	}
	c := Config{Robot: "r2"}.WithDefaults()
	if c.ClientID != "trustd-r2" || c.TopicPrefix != "trust/v1/r2" || c.KeepAlive != 30*time.Second || c.Validate() != nil {
		t.Fatalf("defaults %+v", c)
	}
}

func TestConfigFromYAML(t *testing.T) {
	var doc struct {
		MQTT Config `yaml:"mqtt"`
	}
	src := `
mqtt:
  broker: ssl://broker.example.net:8883
  robot: r7
  ca_file: /etc/trustagent/ca.pem
  cert_file: /etc/trustagent/r7.pem
  key_file: /etc/trustagent/r7.key
  username: r7
  password_file: /etc/trustagent/mqtt-password
  keepalive: 20s
  max_reconnect_interval: 1m
  outbox_dir: /var/lib/trustd/outbox
  commands: [recalibrate, loglevel]
`
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	c := doc.MQTT.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.KeepAlive != 20*time.Second || c.MaxReconnectInterval != time.Minute || c.ClientID != "trustd-r7" ||
		c.TopicPrefix != "trust/v1/r7" || !c.CommandEnabled("loglevel") || c.CommandEnabled("model") {
		t.Fatalf("decoded %+v", c)
	}
}
