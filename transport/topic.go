package transport

import (
	"fmt"
	"strings"
)

// DefaultPrefix returns the default topic prefix for a robot: trust/v1/<robot>.
func DefaultPrefix(robot string) string { return "trust/v1/" + robot }

// Topics builds the topic names under one prefix:
//
//	<prefix>/<sensor>              retained State of each sensor
//	<prefix>/summary               retained Summary
//	<prefix>/health                retained Health
//	<prefix>/status                retained "online" / "offline"
//	<prefix>/cmd/<name>            operator commands (subscribed with <prefix>/cmd/#)
//	<prefix>/cmd/<name>/reply      replies
type Topics struct {
	Prefix string
}

// NewTopics checks prefix and returns its Topics. A prefix is one or more
// non-empty levels without wildcards, not starting with '$' or '/'.
func NewTopics(prefix string) (Topics, error) {
	if err := checkPrefix(prefix); err != nil {
		return Topics{}, err
	}
	return Topics{Prefix: prefix}, nil
}

// Reserved topic levels that a sensor may not be named.
var reserved = [...]string{"summary", "health", "status", "cmd"}

// Sensor returns the state topic of a sensor.
func (t Topics) Sensor(name string) string { return t.Prefix + "/" + name }

// Summary returns the robot summary topic.
func (t Topics) Summary() string { return t.Prefix + "/summary" }

// Health returns the host health topic.
func (t Topics) Health() string { return t.Prefix + "/health" }

// Status returns the online/offline topic.
func (t Topics) Status() string { return t.Prefix + "/status" }

// Command returns the topic a command arrives on.
func (t Topics) Command(name string) string { return t.Prefix + "/cmd/" + name }

// Reply returns the topic a command's reply goes to.
func (t Topics) Reply(name string) string { return t.Prefix + "/cmd/" + name + "/reply" }

// CommandFilter is the subscription filter for all commands.
func (t Topics) CommandFilter() string { return t.Prefix + "/cmd/#" }

// CommandName returns the command name of a topic received on
// CommandFilter, and false for replies and anything else.
func (t Topics) CommandName(topic string) (string, bool) {
	rest, ok := strings.CutPrefix(topic, t.Prefix+"/cmd/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// CheckName reports whether name can be a sensor or robot name: one topic
// level of letters, digits, '-', '_' or '.', at most 64 bytes, and not a
// reserved level (summary, health, status, cmd).
func CheckName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("transport: name %q: want 1 to 64 bytes", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("transport: name %q: character %q not allowed (letters, digits, - _ .)", name, r)
		}
	}
	for _, r := range reserved {
		if name == r {
			return fmt.Errorf("transport: name %q is a reserved topic level", name)
		}
	}
	return nil
}

func checkPrefix(p string) error {
	if p == "" {
		return fmt.Errorf("transport: empty topic prefix")
	}
	if len(p) > 512 {
		return fmt.Errorf("transport: topic prefix longer than 512 bytes")
	}
	if p[0] == '$' || p[0] == '/' || p[len(p)-1] == '/' {
		return fmt.Errorf("transport: topic prefix %q must not start with '$' or '/' or end with '/'", p)
	}
	for _, level := range strings.Split(p, "/") {
		if level == "" {
			return fmt.Errorf("transport: topic prefix %q has an empty level", p)
		}
		if strings.ContainsAny(level, "+#\x00") {
			return fmt.Errorf("transport: topic prefix %q contains a wildcard or NUL", p)
		}
	}
	return nil
}
