package config

import (
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sensortrust/trustagent/agent/decision"
	"github.com/sensortrust/trustagent/sensors/sensorreg"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/homeassistant"
	"github.com/sensortrust/trustagent/transport/mqtt"
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
	Host     Host     `yaml:"host"`
	Sensors  []Sensor `yaml:"-"` // decoded entry by entry, with the driver registry

	file   string              // name used in errors
	root   *yaml.Node          // the parsed document, for the lines of later errors
	reg    *sensorreg.Registry // the drivers the sensors were decoded with
	origin map[string]string   // key → where an override came from ("--robot")
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
	Commands     []string      `yaml:"commands"`    // operator commands accepted on <prefix>/cmd/<name>: recalibrate, loglevel, model, relearn-host
	OutboxSize   int           `yaml:"outbox_size"` // messages kept while the broker is away
	Embedded     Embedded      `yaml:"embedded"`
	// HomeAssistant announces the trust flags to Home Assistant by MQTT
	// discovery.
	HomeAssistant HomeAssistant `yaml:"homeassistant"`
}

// HomeAssistant MQTT discovery: one binary_sensor per sensor and one for
// the robot (package transport/homeassistant).
type HomeAssistant struct {
	Enabled bool   `yaml:"enabled"`
	Prefix  string `yaml:"prefix"` // Home Assistant's discovery prefix
}

// TLS files for ssl:// brokers; CertFile and KeyFile enable mutual TLS.
type TLS struct {
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"` // overrides the host name checked in the broker's certificate
}

// Embedded runs an MQTT broker inside trustd (the zero set-up default).
// Without users, any local process may connect and publish, fake trust
// states included; with users, every client authenticates and sees only
// its ACL, and trustd connects as mqtt.username, which must be one of them.
type Embedded struct {
	Enabled bool          `yaml:"enabled"`
	Listen  string        `yaml:"listen"` // loopback host:port
	Users   []broker.User `yaml:"users"`  // username, password_file or password_env, acl
}

// Models says where model bundles come from.
type Models struct {
	Dir           string `yaml:"dir"`            // bundles named <sensor>.bundle, or the installed slots in state_dir
	TrustedKeys   string `yaml:"trusted_keys"`   // directory of ed25519 .pub files
	AllowUnsigned bool   `yaml:"allow_unsigned"` // development mode only
	// TrustPackaged runs an unsigned bundle in Dir when the package manager
	// put it there (root-owned, not writable by group or others; see
	// firmware.CheckPackageFile). Bundles that arrive any other way still
	// need a signature.
	TrustPackaged bool `yaml:"trust_packaged"`
}

// Persistence is the decision rule the agent settings configure.
func (a Agent) Persistence() decision.Options {
	return decision.Options{K: a.EnterK, N: a.EnterN, M: a.ClearM, WarnK: a.WarnK, SustainK: a.SustainK, SustainN: a.SustainN}
}

// Agent tunes the trust decisions.
type Agent struct {
	QueueLen     int           `yaml:"queue_len"`     // frames queued per sensor before the oldest is dropped
	EnterK       int           `yaml:"enter_k"`       // k of the last n frames over threshold enter ERROR
	EnterN       int           `yaml:"enter_n"`       //
	ClearM       int           `yaml:"clear_m"`       // clean frames in a row to leave ERROR
	WarnK        int           `yaml:"warn_k"`        // suspect frames of the last n that enter WARN
	SustainK     int           `yaml:"sustain_k"`     // frames with suspect content of the last sustain_n that enter ERROR; 0 (default): off
	SustainN     int           `yaml:"sustain_n"`     //
	StaleTimeout time.Duration `yaml:"stale_timeout"` // no frame for this long: STALE
	ScoreBudget  float64       `yaml:"score_budget"`  // fraction of one core scoring may use; above it, frames are decimated
	AlarmRate    float64       `yaml:"alarm_rate"`    // target false ERRORs per hour of clean stream for the recalibrate command
}

// Host is the host model, which a robot learns from its own healthy
// samples (kept in <state_dir>/host) before it judges with it.
type Host struct {
	Period       time.Duration `yaml:"period"`         // between host samples
	LearnFor     time.Duration `yaml:"learn_for"`      // healthy time learnt before judging; 0 turns learning off
	AlarmsPerDay float64       `yaml:"alarms_per_day"` // target false host alarms per day of normal running
	// Source is where host samples come from: HostProc (the machine's
	// /proc and /sys) or HostSim (a simulated robot computer, package
	// hostsim, for demonstrations), whose Faults are injected on schedule.
	Source string      `yaml:"source"`
	Faults []HostFault `yaml:"faults"`
}

// Host sources.
const (
	HostProc = "proc"
	HostSim  = "sim"
)

// HostFault is one fault of the simulated host: a hostsim fault name
// (fan_stop, runaway, memory_leak, memory_pressure, disk_fill, bus_errors,
// under_voltage, clock_jump, slow_heat) from At after the host model starts judging, for For.
type HostFault struct {
	Fault string        `yaml:"fault"`
	At    time.Duration `yaml:"at"`
	For   time.Duration `yaml:"for"`
}

// HostSamples is the number of healthy samples learning keeps.
func (h Host) HostSamples() int { return int(h.LearnFor / h.Period) }

// Sensor is one configured source: the keys every entry has, and the
// options of its driver, decoded from the entry's other keys.
type Sensor struct {
	Name   string        `yaml:"name"`
	Driver string        `yaml:"driver"` // a driver of the registry the file was parsed with
	Bundle string        `yaml:"bundle"` // model bundle to install; default <models.dir>/<kind>.bundle
	Period time.Duration `yaml:"period"` // nominal frame period; 0: the driver's
	// ConeCheck, for a LiDAR, checks that returns lie on their laser's
	// cone (package agent/integrity); default on. Turn it off for a
	// driver that deskews its clouds.
	ConeCheck *bool `yaml:"cone_check"`
	// TearCheck, for a camera, checks that no band of rows replays an
	// older frame's (package agent/integrity); default on. Turn it off
	// for a stream decoded from a codec that skips wide bands of still
	// rows.
	TearCheck *bool `yaml:"tear_check"`
	// HoleCheck, for a LiDAR, checks that surfaces are not riddled with
	// single missed firings (package agent/integrity); default on. Turn
	// it off for a driver that thins its clouds.
	HoleCheck *bool `yaml:"hole_check"`
	// RingCheck, for a LiDAR, checks that no laser between two lit ones
	// goes dark (package agent/integrity); default on. Turn it off for a
	// driver that leaves some lasers out on purpose.
	RingCheck *bool `yaml:"ring_check"`
	// DirtCheck, for a camera, checks for a dark blob that lands on the
	// lens (package agent/integrity); default on. Turn it off for a camera
	// with a moving part of the robot in view.
	DirtCheck *bool `yaml:"dirt_check"`
	// VeilCheck, for a camera, checks for light laid over the whole view
	// at once, glare or a washed-out picture (package agent/integrity);
	// default on. Turn it off for a camera meant to see through light
	// that comes on at once, such as a display.
	VeilCheck *bool `yaml:"veil_check"`
	// Options are the driver's options (a pointer to its options struct,
	// see sensorreg.Driver.Options).
	Options any `yaml:"-"`
}

// Default returns the configuration used when a key is absent.
func Default() Config {
	return Config{
		Robot:    "robot",
		LogLevel: "info",
		StateDir: "/var/lib/trustd",
		HTTP:     HTTP{Listen: "127.0.0.1:9481"},
		MQTT: MQTT{
			Broker:        "tcp://127.0.0.1:1883",
			Keepalive:     30 * time.Second,
			Heartbeat:     5 * time.Second,
			OutboxSize:    10000,
			Embedded:      Embedded{Listen: "127.0.0.1:1883"},
			HomeAssistant: HomeAssistant{Prefix: homeassistant.DefaultPrefix},
		},
		Models: Models{Dir: "/usr/share/trustd/models"},
		Agent: Agent{
			QueueLen:     4,
			EnterK:       3,
			EnterN:       5,
			ClearM:       10,
			WarnK:        2,
			SustainN:     50,
			StaleTimeout: time.Second,
			ScoreBudget:  0.5,
			AlarmRate:    0.25,
		},
		// A day, so that the daily swing of the temperature is normal.
		Host: Host{Period: time.Second, LearnFor: 24 * time.Hour, AlarmsPerDay: 1, Source: HostProc},
	}
}

// TopicPrefix is the configured prefix, or trust/v1/<robot>.
func (c *Config) TopicPrefix() string {
	if c.MQTT.TopicPrefix != "" {
		return c.MQTT.TopicPrefix
	}
	return transport.DefaultPrefix(c.Robot)
}

// ClientID is the configured MQTT client id, or trustd-<robot>.
func (c *Config) ClientID() string {
	if c.MQTT.ClientID != "" {
		return c.MQTT.ClientID
	}
	return "trustd-" + c.Robot
}

// MQTTConfig is the MQTT session the daemon opens; Validate checks it with
// the session's own validation, so the two cannot disagree.
func (c *Config) MQTTConfig() mqtt.Config {
	return mqtt.Config{
		Broker:            c.MQTT.Broker,
		Robot:             c.Robot,
		ClientID:          c.ClientID(),
		TopicPrefix:       c.TopicPrefix(),
		CAFile:            c.MQTT.TLS.CAFile,
		CertFile:          c.MQTT.TLS.CertFile,
		KeyFile:           c.MQTT.TLS.KeyFile,
		ServerName:        c.MQTT.TLS.ServerName,
		Username:          c.MQTT.Username,
		PasswordFile:      c.MQTT.PasswordFile,
		PasswordEnv:       c.MQTT.PasswordEnv,
		KeepAlive:         c.MQTT.Keepalive,
		OutboxDir:         filepath.Join(c.StateDir, "outbox"),
		OutboxMaxMessages: c.MQTT.OutboxSize,
		Commands:          c.MQTT.Commands,
	}.WithDefaults()
}

// EmbeddedConfig is the embedded broker the daemon starts when
// mqtt.embedded.enabled is set.
func (c *Config) EmbeddedConfig() broker.Config {
	return broker.Config{Address: c.MQTT.Embedded.Listen, Users: c.MQTT.Embedded.Users}
}
