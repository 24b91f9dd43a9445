package config

import (
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
	"github.com/sensortrust/trustagent/agent/host/hostsim"
	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/broker"
	"github.com/sensortrust/trustagent/transport/homeassistant"
	"github.com/sensortrust/trustagent/transport/mqtt"
)

// Validate checks the configuration without any I/O. The MQTT session and
// the embedded broker are checked by their own packages' validation, and
// names by the transport's topic rules, so that whatever passes here is
// what the daemon accepts. Errors are *Error values naming the key and, when
// the value came from the file, its line.
func (c *Config) Validate() error {
	return c.locate(c.validate())
}

func (c *Config) validate() error {
	if !validName(c.Robot) {
		return bad("robot", "%q must be 1-64 characters of [A-Za-z0-9_-]", c.Robot)
	}
	if err := transport.CheckName(c.Robot); err != nil {
		return bad("robot", "%v", strings.TrimPrefix(err.Error(), "transport: "))
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
	if err := c.validateMQTT(); err != nil {
		return err
	}
	if err := c.Agent.validate(); err != nil {
		return err
	}
	if err := c.Host.validate(); err != nil {
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
		if err := transport.CheckName(s.Name); err != nil {
			return bad(key+".name", "%v: it would share a topic with the robot's summary, health, status or commands", strings.TrimPrefix(err.Error(), "transport: "))
		}
		if seen[s.Name] {
			return bad(key+".name", "%q is used twice", s.Name)
		}
		seen[s.Name] = true
		if s.Period < 0 || (s.Period > 0 && s.Period < time.Millisecond) {
			return bad(key+".period", "%v is not a frame period", s.Period)
		}
		if s.Options == nil {
			return bad(key, "driver %s options were not decoded", s.Driver)
		}
	}
	return nil
}

// mqttKeys maps the fields of mqtt.Config to the keys of this file.
var mqttKeys = map[string]string{
	"robot":               "robot",
	"broker":              "mqtt.broker",
	"client_id":           "mqtt.client_id",
	"topic_prefix":        "mqtt.topic_prefix",
	"ca_file":             "mqtt.tls.ca_file",
	"cert_file":           "mqtt.tls.cert_file",
	"key_file":            "mqtt.tls.key_file",
	"server_name":         "mqtt.tls.server_name",
	"username":            "mqtt.username",
	"password_file":       "mqtt.password_file",
	"password_env":        "mqtt.password_env",
	"keepalive":           "mqtt.keepalive",
	"outbox_max_messages": "mqtt.outbox_size",
}

// mqttError turns the session's *mqtt.ConfigError into an *Error at the
// key of this file.
func mqttError(err error) error {
	var me *mqtt.ConfigError
	if !errors.As(err, &me) {
		return bad("mqtt", "%v", err)
	}
	key, ok := mqttKeys[me.Field]
	switch {
	case ok:
	case strings.HasPrefix(me.Field, "commands["):
		key = "mqtt." + me.Field
	default:
		key = "mqtt"
	}
	// The key is named already; so is the package that found the problem.
	msg := strings.TrimPrefix(me.Err.Error(), me.Field+": ")
	msg = strings.TrimPrefix(msg, "transport: ")
	e := bad(key, "%s", msg)
	e.Err = me.Err
	return e
}

func (c *Config) validateMQTT() error {
	m := &c.MQTT
	if m.Heartbeat < 100*time.Millisecond {
		return bad("mqtt.heartbeat", "%v is below 100ms", m.Heartbeat)
	}
	if err := c.MQTTConfig().Validate(); err != nil {
		return mqttError(err)
	}
	if m.HomeAssistant.Enabled {
		if err := homeassistant.CheckPrefix(m.HomeAssistant.Prefix); err != nil {
			return bad("mqtt.homeassistant.prefix", "%s", strings.TrimPrefix(err.Error(), "homeassistant: "))
		}
	}
	if m.Embedded.Enabled {
		host, _, err := net.SplitHostPort(m.Embedded.Listen)
		if err != nil {
			return bad("mqtt.embedded.listen", "%q is not host:port", m.Embedded.Listen)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return bad("mqtt.embedded.listen", "%q: the embedded broker binds to loopback only", m.Embedded.Listen)
		}
		if err := c.EmbeddedConfig().Validate(); err != nil {
			key := "mqtt.embedded.listen"
			if len(m.Embedded.Users) > 0 {
				key = "mqtt.embedded.users"
			}
			return bad(key, "%v", strings.TrimPrefix(err.Error(), "broker: "))
		}
		if us := m.Embedded.Users; len(us) > 0 && !slices.ContainsFunc(us, func(u broker.User) bool { return u.Username == m.Username }) {
			return bad("mqtt.username", "%q is not one of mqtt.embedded.users: trustd could not connect to its own broker", m.Username)
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
	case a.WarnK < 1 || a.WarnK > a.EnterK:
		return bad("agent.warn_k", "%d is outside 1..enter_k (%d)", a.WarnK, a.EnterK)
	case a.ClearM < 1:
		return bad("agent.clear_m", "%d must be at least 1", a.ClearM)
	case a.SustainN < 1 || a.SustainN > 1024:
		return bad("agent.sustain_n", "%d is outside 1..1024", a.SustainN)
	case a.SustainK < 0 || a.SustainK > a.SustainN:
		return bad("agent.sustain_k", "%d is outside 0..sustain_n (%d); 0 turns the rule off", a.SustainK, a.SustainN)
	case a.StaleTimeout < 10*time.Millisecond:
		return bad("agent.stale_timeout", "%v is below 10ms", a.StaleTimeout)
	case a.ScoreBudget <= 0 || a.ScoreBudget > 1:
		return bad("agent.score_budget", "%v is outside (0, 1]", a.ScoreBudget)
	case !(a.AlarmRate > 0 && a.AlarmRate <= 3600):
		return bad("agent.alarm_rate", "%v is outside (0, 3600] per hour", a.AlarmRate)
	}
	return nil
}

func (h *Host) validate() error {
	switch {
	case h.Period < 100*time.Millisecond || h.Period > time.Minute:
		return bad("host.period", "%v is outside 100ms..1m", h.Period)
	case h.LearnFor < 0:
		return bad("host.learn_for", "%v is negative", h.LearnFor)
	case h.LearnFor > 0 && h.HostSamples() < host.MinLearnSamples:
		return bad("host.learn_for", "%v is %d samples at host.period %v; learning needs at least %d", h.LearnFor, h.HostSamples(), h.Period, host.MinLearnSamples)
	case h.HostSamples() > 1_000_000:
		return bad("host.learn_for", "%v is %d samples at host.period %v; at most 1000000", h.LearnFor, h.HostSamples(), h.Period)
	case !(h.AlarmsPerDay > 0 && h.AlarmsPerDay <= 100):
		return bad("host.alarms_per_day", "%v is outside (0, 100]", h.AlarmsPerDay)
	case h.Source != HostProc && h.Source != HostSim:
		return bad("host.source", "%q is not %s (this machine) or %s (a simulated one)", h.Source, HostProc, HostSim)
	case len(h.Faults) > 0 && h.Source != HostSim:
		return bad("host.faults", "faults are injected into a simulated host only: set host.source: %s", HostSim)
	}
	for i, f := range h.Faults {
		key := fmt.Sprintf("host.faults[%d]", i)
		if _, err := hostsim.ParseKind(f.Fault); err != nil {
			return bad(key+".fault", "%s", strings.TrimPrefix(err.Error(), "hostsim: "))
		}
		if f.At < 0 {
			return bad(key+".at", "%v is negative", f.At)
		}
		if f.For <= 0 {
			return bad(key+".for", "%v: a fault lasts a positive time", f.For)
		}
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

// Override sets key — robot, mqtt.broker or log_level — to a value given
// outside the file; from names where it came from ("--robot",
// "TRUSTD_ROBOT") in errors. An empty value leaves the file's. Call
// Validate afterwards.
func (c *Config) Override(key, value, from string) error {
	if value == "" {
		return nil
	}
	switch key {
	case "robot":
		c.Robot = value
	case "mqtt.broker":
		c.MQTT.Broker = value
	case "log_level":
		c.LogLevel = value
	default:
		return fmt.Errorf("config: %s cannot be overridden", key)
	}
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = from
	if key == "robot" {
		// The defaults derived from the robot come from the same place.
		if c.MQTT.ClientID == "" {
			c.origin["mqtt.client_id"] = from
		}
		if c.MQTT.TopicPrefix == "" {
			c.origin["mqtt.topic_prefix"] = from
		}
	}
	return nil
}

// ApplyEnv applies the per-robot environment overrides TRUSTD_ROBOT and
// TRUSTD_BROKER, then validates again.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	c.Override("robot", getenv("TRUSTD_ROBOT"), "TRUSTD_ROBOT")
	c.Override("mqtt.broker", getenv("TRUSTD_BROKER"), "TRUSTD_BROKER")
	return c.Validate()
}
