package chaos

import "strings"

// Hostile is one message an attacker or a broken tool publishes on a
// command topic.
type Hostile struct {
	Name    string
	Command string // the topic's last level: <prefix>/cmd/<Command>
	Payload []byte
}

// HostileCommands returns malformed, oversized and out-of-range command
// payloads for trustd's command topics. None of them is a valid command:
// trustd must answer each with ok: false (or ignore it) and go on judging.
func HostileCommands() []Hostile {
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	big := `{"id":"big","level":"` + strings.Repeat("x", 80<<10) + `"}`
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	return []Hostile{
		{"empty", "loglevel", nil},
		{"truncated", "loglevel", []byte(`{"id":"t","level":`)},
		{"null", "recalibrate", []byte(`null`)},
		{"array", "recalibrate", []byte(`[1,2,3]`)},
		{"string", "loglevel", []byte(`"debug"`)},
		{"bad level", "loglevel", []byte(`{"id":"h1","level":"loud"}`)},
		{"unknown field", "loglevel", []byte(`{"id":"h2","level":"info","sudo":true}`)},
		{"trailing data", "loglevel", []byte(`{"id":"h3","level":"info"}{"id":"h4","level":"error"}`)},
		{"wrong types", "recalibrate", []byte(`{"id":7,"sensor":["lidar0"],"minutes":"10"}`)},
		{"minutes negative", "recalibrate", []byte(`{"id":"h5","sensor":"lidar0","minutes":-5}`)},
		{"minutes huge", "recalibrate", []byte(`{"id":"h6","sensor":"lidar0","minutes":1e309}`)},
		{"minutes too many", "recalibrate", []byte(`{"id":"h7","sensor":"lidar0","minutes":100000}`)},
		{"unknown sensor", "recalibrate", []byte(`{"id":"h8","sensor":"../../etc/passwd","minutes":10}`)},
		{"invalid utf-8", "recalibrate", []byte("{\"id\":\"h11\",\"sensor\":\"lidar0\xff\xfe\",\"minutes\":10}")},
		{"binary", "recalibrate", bin},
		{"deep nesting", "loglevel", []byte(deep)},
		{"oversized", "loglevel", []byte(big)},
		{"command not enabled", "model", []byte(`{"id":"h9"}`)},
		{"unknown command", "format-disk", []byte(`{"id":"h10"}`)},
	}
}
