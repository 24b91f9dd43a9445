package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole of trustd's configuration.
type Config struct {
	Robot    string   `yaml:"robot"`     // robot id, used in topics and payloads
	LogLevel string   `yaml:"log_level"` // trace, debug, info, warn, error
	StateDir string   `yaml:"state_dir"` // outbox, installed models, sequence numbers
	HTTP     HTTP     `yaml:"http"`
	MQTT     MQTT     `yaml:"mqtt"`
	Models   Models   `yaml:"models"`
	Agent    Agent    `yaml:"agent"`
	Sensors  []Sensor `yaml:"sensors"`
}

// HTTP is the local status server: /metrics, /healthz, /status.
type HTTP struct {
	Listen string `yaml:"listen"` // host:port; empty disables the server
}

// MQTT says where trust flags go.
type MQTT struct {
	Broker       string        `yaml:"broker"`        // tcp://host:port, ssl://host:port
	ClientID     string        `yaml:"client_id"`     // default trustd-<robot>
	TopicPrefix  string        `yaml:"topic_prefix"`  // default trust/v1/<robot>
	Keepalive    time.Duration `yaml:"keepalive"`     // MQTT keepalive
	Heartbeat    time.Duration `yaml:"heartbeat"`     // retained state re-published this often
	Username     string        `yaml:"username"`      // broker user name
	PasswordFile string        `yaml:"password_file"` // file whose first line is the password
	PasswordEnv  string        `yaml:"password_env"`  // or the environment variable holding it
	TLS          TLS           `yaml:"tls"`
	Commands     []string      `yaml:"commands"`    // operator commands accepted on <prefix>/cmd/<name>: recalibrate, loglevel, model
	OutboxSize   int           `yaml:"outbox_size"` // messages kept while the broker is away
	Embedded     Embedded      `yaml:"embedded"`
}

// TLS files for ssl:// brokers; CertFile and KeyFile enable mutual TLS.
type TLS struct {
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"` // overrides the host name checked in the broker's certificate
}

// Embedded runs an MQTT broker inside trustd (the zero set-up default).
type Embedded struct {
	Enabled bool   `yaml:"enabled"`
	Listen  string `yaml:"listen"` // loopback host:port
}

// Models says where model bundles come from.
type Models struct {
	Dir           string `yaml:"dir"`            // bundles named <sensor>.bundle, or the installed slots in state_dir
	TrustedKeys   string `yaml:"trusted_keys"`   // directory of ed25519 .pub files
	AllowUnsigned bool   `yaml:"allow_unsigned"` // development mode only
}

// Agent tunes the trust decisions.
type Agent struct {
	QueueLen     int           `yaml:"queue_len"`     // frames queued per sensor before the oldest is dropped
	EnterK       int           `yaml:"enter_k"`       // k of the last n frames over threshold enter ERROR
	EnterN       int           `yaml:"enter_n"`       //
	ClearM       int           `yaml:"clear_m"`       // clean frames in a row to leave ERROR
	StaleTimeout time.Duration `yaml:"stale_timeout"` // no frame for this long: STALE
	ScoreBudget  float64       `yaml:"score_budget"`  // fraction of one core scoring may use; above it, frames are decimated
	AlarmRate    float64       `yaml:"alarm_rate"`    // target false ERRORs per hour of clean stream for the recalibrate command
}

// Sensor is one configured source. Driver names the kind of device; the
// fields a driver does not use must stay empty.
type Sensor struct {
	Name    string        `yaml:"name"`
	Driver  string        `yaml:"driver"`
	Bundle  string        `yaml:"bundle"`  // model bundle to install; default <models.dir>/<kind>.bundle
	Period  time.Duration `yaml:"period"`  // nominal frame period
	Address string        `yaml:"address"` // UDP bind address (velodyne); device path (serial, camera); I²C address when bus is set
	Bus     string        `yaml:"bus"`     // I²C bus, e.g. /dev/i2c-1
	SPI     string        `yaml:"spi"`     // SPI port, e.g. /dev/spidev0.0
	Baud    int           `yaml:"baud"`    // serial baud rate
	Motor   string        `yaml:"motor"`   // rplidar: dtr (A1), pwm (A2), none
	PWM     int           `yaml:"pwm"`     // rplidar A2 motor duty
	Trigger bool          `yaml:"trigger"` // tfluna on I²C: one-shot trigger mode
	Dir     string        `yaml:"dir"`     // recorded: directory of frames
	Pacing  string        `yaml:"pacing"`  // recorded: realtime, fast, loop, fast-loop
	Lidar   string        `yaml:"lidar"`   // recorded: LiDAR model of KITTI scans, e.g. VLP-16 (assigns rings)
	Width   int           `yaml:"width"`   // camera width
	Height  int           `yaml:"height"`  // camera height
	Seed    int64         `yaml:"seed"`    // sim: world seed
	// Scenario is a fault scenario file for simulated sensors, or "default".
	Scenario string `yaml:"scenario"`
}

// driverFields says which drivers trustd knows and the fields each may set
// besides name, driver, model and period.
func driverFields(driver string) ([]string, bool) {
	switch driver {
	case "sim-lidar":
		return []string{"seed", "scenario"}, true
	case "sim-camera":
		return []string{"seed", "scenario", "width", "height"}, true
	case "velodyne":
		return []string{"address"}, true
	case "recorded":
		return []string{"dir", "pacing", "lidar"}, true
	case "rplidar":
		return []string{"address", "baud", "motor", "pwm"}, true
	case "tfmini-s":
		return []string{"address", "baud"}, true
	case "tfluna":
		return []string{"bus", "address", "baud", "trigger"}, true
	case "lidarlite":
		return []string{"bus", "address"}, true
	case "v4l2":
		return []string{"address", "width", "height"}, true
	case "arducam":
		return []string{"spi", "bus", "width", "height"}, true
	}
	return nil, false
}

// Drivers lists the driver names a sensor may use.
func Drivers() []string {
	return []string{"arducam", "lidarlite", "recorded", "rplidar", "sim-camera", "sim-lidar", "tfluna", "tfmini-s", "v4l2", "velodyne"}
}

// Default returns the configuration used when a key is absent.
func Default() Config {
	return Config{
		Robot:    "robot",
		LogLevel: "info",
		StateDir: "/var/lib/trustd",
		HTTP:     HTTP{Listen: "127.0.0.1:9481"},
		MQTT: MQTT{
			Broker:     "tcp://127.0.0.1:1883",
			Keepalive:  30 * time.Second,
			Heartbeat:  5 * time.Second,
			OutboxSize: 10000,
			Embedded:   Embedded{Listen: "127.0.0.1:1883"},
		},
		Models: Models{Dir: "/usr/share/trustd/models"},
		Agent: Agent{
			QueueLen:     4,
			EnterK:       3,
			EnterN:       5,
			ClearM:       10,
			StaleTimeout: time.Second,
			ScoreBudget:  0.5,
			AlarmRate:    0.25,
		},
	}
}

// Error is a configuration error at a place in the file.
type Error struct {
	File string
	Line int    // 0 when unknown
	Key  string // dotted path, e.g. sensors[1].period
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("config: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	} else if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Load reads and validates a configuration file.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates configuration bytes; name is used in errors.
func Parse(name string, data []byte) (Config, error) {
	cfg := Default()
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return Config{}, yamlError(name, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, &Error{File: name, Msg: "file is empty"}
		}
		ye := yamlError(name, err)
		if ye.Key == "" {
			ye.Key = keyAtLine(&root, ye.Line, "")
		}
		return Config{}, ye
	}
	if err := cfg.validate(); err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.File = name
			ce.Line = lineOf(&root, ce.Key)
		}
		return Config{}, err
	}
	return cfg, nil
}

// yamlError turns a yaml.v3 error ("yaml: line 3: field foo not found in
// type config.Sensor") into an *Error that keeps the line.
func yamlError(name string, err error) *Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
	}
	msg = strings.ReplaceAll(msg, "\n  ", "; ")
	if i := strings.Index(msg, " in type "); i >= 0 {
		msg = msg[:i]
		msg = strings.Replace(msg, "field ", "unknown key ", 1)
		msg = strings.Replace(msg, " not found", "", 1)
	}
	return &Error{File: name, Line: line, Msg: msg}
}

// ApplyEnv applies the per-robot environment overrides TRUSTD_ROBOT and
// TRUSTD_BROKER, then validates again.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if v := getenv("TRUSTD_ROBOT"); v != "" {
		c.Robot = v
	}
	if v := getenv("TRUSTD_BROKER"); v != "" {
		c.MQTT.Broker = v
	}
	return c.validate()
}

// TopicPrefix is the configured prefix, or trust/v1/<robot>.
func (c *Config) TopicPrefix() string {
	if c.MQTT.TopicPrefix != "" {
		return c.MQTT.TopicPrefix
	}
	return "trust/v1/" + c.Robot
}

// ClientID is the configured MQTT client id, or trustd-<robot>.
func (c *Config) ClientID() string {
	if c.MQTT.ClientID != "" {
		return c.MQTT.ClientID
	}
	return "trustd-" + c.Robot
}

func bad(key, format string, a ...any) error {
	return &Error{Key: key, Msg: fmt.Sprintf(format, a...)}
}

func (c *Config) validate() error {
	if !validName(c.Robot) {
		return bad("robot", "%q must be 1-64 characters of [A-Za-z0-9_-]", c.Robot)
	}
	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		return bad("log_level", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	}
	if c.StateDir == "" {
		return bad("state_dir", "must be set")
	}
	if c.HTTP.Listen != "" {
		if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
			return bad("http.listen", "%q is not host:port", c.HTTP.Listen)
		}
	}
	if err := c.MQTT.validate(); err != nil {
		return err
	}
	if err := c.Agent.validate(); err != nil {
		return err
	}
	if len(c.Sensors) == 0 {
		return bad("sensors", "at least one sensor must be configured")
	}
	seen := map[string]bool{}
	for i := range c.Sensors {
		s := &c.Sensors[i]
		key := fmt.Sprintf("sensors[%d]", i)
		if !validName(s.Name) {
			return bad(key+".name", "%q must be 1-64 characters of [A-Za-z0-9_-]", s.Name)
		}
		if seen[s.Name] {
			return bad(key+".name", "%q is used twice", s.Name)
		}
		seen[s.Name] = true
		if err := s.validate(key); err != nil {
			return err
		}
	}
	return nil
}

func (m *MQTT) validate() error {
	u, err := url.Parse(m.Broker)
	if err != nil || u.Host == "" {
		return bad("mqtt.broker", "%q is not a broker URL like tcp://127.0.0.1:1883", m.Broker)
	}
	switch u.Scheme {
	case "tcp", "mqtt", "ssl", "tls", "mqtts":
	default:
		return bad("mqtt.broker", "scheme %q is not tcp, mqtt, ssl, tls or mqtts", u.Scheme)
	}
	if strings.ContainsAny(m.TopicPrefix, "#+") {
		return bad("mqtt.topic_prefix", "%q must not contain MQTT wildcards", m.TopicPrefix)
	}
	if m.Keepalive < time.Second {
		return bad("mqtt.keepalive", "%v is below 1s", m.Keepalive)
	}
	if m.Heartbeat < 100*time.Millisecond {
		return bad("mqtt.heartbeat", "%v is below 100ms", m.Heartbeat)
	}
	if m.OutboxSize < 1 {
		return bad("mqtt.outbox_size", "%d must be at least 1", m.OutboxSize)
	}
	for i, c := range m.Commands {
		switch c {
		case "recalibrate", "loglevel", "model":
		default:
			return bad(fmt.Sprintf("mqtt.commands[%d]", i), "%q is not recalibrate, loglevel or model", c)
		}
	}
	if m.PasswordFile != "" && m.PasswordEnv != "" {
		return bad("mqtt.password_file", "password_file and password_env exclude each other")
	}
	if (m.TLS.CertFile == "") != (m.TLS.KeyFile == "") {
		return bad("mqtt.tls", "cert_file and key_file go together")
	}
	if m.Embedded.Enabled {
		host, _, err := net.SplitHostPort(m.Embedded.Listen)
		if err != nil {
			return bad("mqtt.embedded.listen", "%q is not host:port", m.Embedded.Listen)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return bad("mqtt.embedded.listen", "%q: the embedded broker binds to loopback only", m.Embedded.Listen)
		}
	}
	return nil
}

func (a *Agent) validate() error {
	switch {
	case a.QueueLen < 1 || a.QueueLen > 1024:
		return bad("agent.queue_len", "%d is outside 1..1024", a.QueueLen)
	case a.EnterN < 1 || a.EnterN > 64:
		return bad("agent.enter_n", "%d is outside 1..64", a.EnterN)
	case a.EnterK < 1 || a.EnterK > a.EnterN:
		return bad("agent.enter_k", "%d is outside 1..enter_n (%d)", a.EnterK, a.EnterN)
	case a.ClearM < 1:
		return bad("agent.clear_m", "%d must be at least 1", a.ClearM)
	case a.StaleTimeout < 10*time.Millisecond:
		return bad("agent.stale_timeout", "%v is below 10ms", a.StaleTimeout)
	case a.ScoreBudget <= 0 || a.ScoreBudget > 1:
		return bad("agent.score_budget", "%v is outside (0, 1]", a.ScoreBudget)
	case !(a.AlarmRate > 0 && a.AlarmRate <= 3600):
		return bad("agent.alarm_rate", "%v is outside (0, 3600] per hour", a.AlarmRate)
	}
	return nil
}

func (s *Sensor) validate(key string) error {
	allowed, ok := driverFields(s.Driver)
	if !ok {
		return bad(key+".driver", "%q is not one of %s", s.Driver, strings.Join(Drivers(), ", "))
	}
	if s.Period < 0 || (s.Period > 0 && s.Period < time.Millisecond) {
		return bad(key+".period", "%v is not a frame period", s.Period)
	}
	set := map[string]bool{
		"address": s.Address != "", "bus": s.Bus != "", "spi": s.SPI != "",
		"baud": s.Baud != 0, "motor": s.Motor != "", "pwm": s.PWM != 0, "trigger": s.Trigger,
		"dir": s.Dir != "", "pacing": s.Pacing != "", "lidar": s.Lidar != "",
		"width": s.Width != 0, "height": s.Height != 0, "seed": s.Seed != 0,
		"scenario": s.Scenario != "",
	}
	for _, f := range allowed {
		delete(set, f)
	}
	for f, isSet := range set {
		if isSet {
			return bad(key+"."+f, "driver %s does not use %s", s.Driver, f)
		}
	}
	if s.Width < 0 || s.Height < 0 || s.Width > 8192 || s.Height > 8192 {
		return bad(key+".width", "image size %dx%d is out of range", s.Width, s.Height)
	}
	if s.Baud < 0 {
		return bad(key+".baud", "%d is negative", s.Baud)
	}
	switch s.Pacing {
	case "", "realtime", "fast", "loop", "fast-loop":
	default:
		return bad(key+".pacing", "%q is not realtime, fast, loop or fast-loop", s.Pacing)
	}
	if s.Driver == "recorded" && s.Dir == "" {
		return bad(key+".dir", "driver recorded needs dir")
	}
	switch s.Motor {
	case "", "dtr", "pwm", "none":
	default:
		return bad(key+".motor", "%q is not dtr, pwm or none", s.Motor)
	}
	if s.PWM < 0 || s.PWM > 1023 {
		return bad(key+".pwm", "%d is outside 0..1023", s.PWM)
	}
	needsAddress := map[string]bool{"rplidar": true, "tfmini-s": true, "v4l2": true}
	if (needsAddress[s.Driver] || (s.Driver == "tfluna" && s.Bus == "")) && s.Address == "" {
		return bad(key+".address", "driver %s needs address (the device path)", s.Driver)
	}
	if (s.Driver == "lidarlite" || s.Driver == "arducam") && s.Bus == "" {
		return bad(key+".bus", "driver %s needs bus (the I²C bus)", s.Driver)
	}
	if s.Driver == "arducam" && s.SPI == "" {
		return bad(key+".spi", "driver arducam needs spi (the SPI port)")
	}
	return nil
}

func validName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		ok := r == '-' || r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

// lineOf finds the line of a dotted key such as "sensors[1].period" in a
// parsed document; 0 when the key is absent (a default was used).
func lineOf(doc *yaml.Node, key string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range strings.Split(key, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			fmt.Sscanf(part[i:], "[%d]", &idx)
		}
		next := mappingValue(n, name)
		if next == nil {
			return line
		}
		line = next.Line
		n = next
		if idx >= 0 {
			if n.Kind != yaml.SequenceNode || idx >= len(n.Content) {
				return line
			}
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// keyAtLine returns the dotted key whose value starts on line, or "".
func keyAtLine(n *yaml.Node, line int, prefix string) string {
	if n == nil || line == 0 {
		return ""
	}
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			if n.Content[i+1].Line == line && n.Content[i+1].Kind == yaml.ScalarNode {
				return key
			}
			if k := keyAtLine(n.Content[i+1], line, key); k != "" {
				return k
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if k := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); k != "" {
				return k
			}
		}
	}
	return ""
}
