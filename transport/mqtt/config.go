package mqtt

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/transport"
)

// Config is the MQTT side of the daemon's configuration. Zero fields take
// the defaults of DefaultConfig when passed through WithDefaults.
type Config struct {
	// Broker URL: tcp://host:1883 (or mqtt://), ssl://host:8883 (or tls://, mqtts://).
	Broker string `yaml:"broker"`
	// Robot names this robot in topics and payloads.
	Robot string `yaml:"robot"`
	// ClientID must be stable and unique per robot; default "trustd-<robot>".
	ClientID string `yaml:"client_id"`
	// TopicPrefix; default trust/v1/<robot>.
	TopicPrefix string `yaml:"topic_prefix"`

	// TLS: CAFile verifies the broker (system roots when empty); CertFile
	// and KeyFile, both or neither, are this robot's client certificate.
	CAFile     string `yaml:"ca_file"`
	CertFile   string `yaml:"cert_file"`
	KeyFile    string `yaml:"key_file"`
	ServerName string `yaml:"server_name"` // overrides the host name checked in the broker's certificate

	// Credentials: the password is read from PasswordFile (first line) or
	// the environment variable PasswordEnv, never from this file and never logged.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	PasswordEnv  string `yaml:"password_env"`

	KeepAlive            time.Duration `yaml:"keepalive"`              // default 30 s
	PingTimeout          time.Duration `yaml:"ping_timeout"`           // default 10 s
	ConnectTimeout       time.Duration `yaml:"connect_timeout"`        // default 10 s
	WriteTimeout         time.Duration `yaml:"write_timeout"`          // default 10 s
	MaxReconnectInterval time.Duration `yaml:"max_reconnect_interval"` // default 30 s

	// Outbox: directory (the daemon defaults it to <state dir>/outbox) and bounds.
	OutboxDir         string `yaml:"outbox_dir"`
	OutboxMaxMessages int    `yaml:"outbox_max_messages"` // default 10000
	OutboxMaxBytes    int    `yaml:"outbox_max_bytes"`    // default 16 MiB

	// Commands lists the operator commands accepted on <prefix>/cmd/<name>;
	// empty accepts none and does not subscribe.
	Commands []string `yaml:"commands"`
}

// DefaultConfig returns the defaults for a robot: the embedded broker on
// loopback, no TLS, no commands.
func DefaultConfig(robot string) Config {
	return Config{
		Broker:               "tcp://127.0.0.1:1883",
		Robot:                robot,
		ClientID:             "trustd-" + robot,
		TopicPrefix:          transport.DefaultPrefix(robot),
		KeepAlive:            30 * time.Second,
		PingTimeout:          10 * time.Second,
		ConnectTimeout:       10 * time.Second,
		WriteTimeout:         10 * time.Second,
		MaxReconnectInterval: 30 * time.Second,
		OutboxMaxMessages:    10000,
		OutboxMaxBytes:       16 << 20,
	}
}

// WithDefaults returns c with its zero fields set from DefaultConfig(c.Robot).
func (c Config) WithDefaults() Config {
	d := DefaultConfig(c.Robot)
	set := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	setD := func(dst *time.Duration, v time.Duration) {
		if *dst == 0 {
			*dst = v
		}
	}
	set(&c.Broker, d.Broker)
	set(&c.ClientID, d.ClientID)
	set(&c.TopicPrefix, d.TopicPrefix)
	setD(&c.KeepAlive, d.KeepAlive)
	setD(&c.PingTimeout, d.PingTimeout)
	setD(&c.ConnectTimeout, d.ConnectTimeout)
	setD(&c.WriteTimeout, d.WriteTimeout)
	setD(&c.MaxReconnectInterval, d.MaxReconnectInterval)
	if c.OutboxMaxMessages == 0 {
		c.OutboxMaxMessages = d.OutboxMaxMessages
	}
	if c.OutboxMaxBytes == 0 {
		c.OutboxMaxBytes = d.OutboxMaxBytes
	}
	return c
}

// KnownCommands are the command names Validate accepts.
var knownCommands = []string{transport.CommandRecalibrate, transport.CommandLogLevel, transport.CommandModel, transport.CommandRelearnHost}

// ConfigError is an invalid Config field. Field is the field's yaml key
// ("broker", "ca_file", "commands[1]"), so that a configuration loader can
// point at the key a user wrote.
type ConfigError struct {
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return "mqtt: " + e.Err.Error() }

func (e *ConfigError) Unwrap() error { return e.Err }

func fieldErr(field, format string, a ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, a...)}
}

// Validate checks c (after WithDefaults) without any I/O: files are read
// by CheckFiles and New. Each problem is a *ConfigError; several are joined.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) { errs = append(errs, fieldErr(field, format, a...)) }
	if err := transport.CheckName(c.Robot); err != nil {
		bad("robot", "robot: %w", err)
	}
	u, err := url.Parse(c.Broker)
	switch {
	case err != nil:
		bad("broker", "broker %q: %w", c.Broker, err)
	case u.Host == "" || u.Port() == "":
		bad("broker", "broker %q: want scheme://host:port", c.Broker)
	case !slices.Contains([]string{"tcp", "mqtt", "ssl", "tls", "mqtts"}, u.Scheme):
		bad("broker", "broker %q: scheme %q not supported (tcp, mqtt, ssl, tls, mqtts)", c.Broker, u.Scheme)
	case !isTLS(u.Scheme) && (c.CAFile != "" || c.CertFile != "" || c.KeyFile != ""):
		field := "ca_file"
		if c.CAFile == "" {
			field = "cert_file"
			if c.CertFile == "" {
				field = "key_file"
			}
		}
		bad(field, "broker %q: TLS files given but the scheme is %q; use ssl:// or mqtts://", c.Broker, u.Scheme)
	}
	if u != nil && u.User != nil {
		bad("broker", "broker URL must not carry credentials; use username and password_file or password_env")
	}
	if c.ClientID == "" || len(c.ClientID) > 128 || strings.ContainsAny(c.ClientID, "+#/") {
		bad("client_id", "client_id %q: want 1 to 128 bytes without + # /", c.ClientID)
	}
	if _, err := transport.NewTopics(c.TopicPrefix); err != nil {
		bad("topic_prefix", "topic_prefix: %w", err)
	}
	if (c.CertFile == "") != (c.KeyFile == "") {
		field := "key_file"
		if c.CertFile == "" {
			field = "cert_file"
		}
		bad(field, "cert_file and key_file go together")
	}
	if c.PasswordFile != "" && c.PasswordEnv != "" {
		bad("password_env", "password_file and password_env are exclusive")
	}
	if (c.PasswordFile != "" || c.PasswordEnv != "") && c.Username == "" {
		field := "password_file"
		if c.PasswordFile == "" {
			field = "password_env"
		}
		bad(field, "a password needs a username")
	}
	if c.KeepAlive < time.Second || c.KeepAlive > 18*time.Hour {
		bad("keepalive", "keepalive %v: want 1 s to 18 h", c.KeepAlive)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"ping_timeout", c.PingTimeout}, {"connect_timeout", c.ConnectTimeout}, {"write_timeout", c.WriteTimeout}, {"max_reconnect_interval", c.MaxReconnectInterval}} {
		if f.d <= 0 {
			bad(f.name, "%s %v must be positive", f.name, f.d)
		}
	}
	if c.OutboxMaxMessages < 1 {
		bad("outbox_max_messages", "outbox bound %d messages: want ≥ 1", c.OutboxMaxMessages)
	}
	if c.OutboxMaxBytes < 1024 {
		bad("outbox_max_bytes", "outbox bound %d bytes: want ≥ 1024", c.OutboxMaxBytes)
	}
	for i, name := range c.Commands {
		if !slices.Contains(knownCommands, name) {
			bad(fmt.Sprintf("commands[%d]", i), "command %q unknown (known: %s)", name, strings.Join(knownCommands, ", "))
		}
	}
	return errors.Join(errs...)
}

// CheckFiles reads what New reads besides the network: the TLS files and
// the password (file or environment variable). It opens no connection, so a
// configuration check can refuse what New would refuse.
func (c Config) CheckFiles() error {
	if _, err := tlsConfig(c); err != nil {
		return err
	}
	_, err := password(c)
	return err
}

// CommandEnabled reports whether name is in c.Commands.
func (c Config) CommandEnabled(name string) bool { return slices.Contains(c.Commands, name) }

func isTLS(scheme string) bool { return scheme == "ssl" || scheme == "tls" || scheme == "mqtts" }
