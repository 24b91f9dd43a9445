package chaos

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// RunLog is what one trustd process logged, read from its JSON log lines
// (stderr when it is not a terminal).
type RunLog struct {
	Changes    map[string]uint32 // level changes per sensor: one "trust" line each
	DiskErrors int               // times the outbox said it cannot use the state directory
	DiskBack   int               // times it said the disk works again
	Resent     int               // starts that found messages of an earlier run in the outbox
	DroppedDur int               // durable messages dropped from a full outbox
	Panics     int               // lines that start a Go panic or fatal error
	Errors     []string          // error-level messages, at most 20
}

// logLine is the part of a log line ScanLog reads.
type logLine struct {
	Level   string  `json:"level"`
	Sensor  string  `json:"sensor"`
	Trust   *string `json:"trust"`
	Message string  `json:"message"`
}

// ScanLog reads a trustd log. Lines that are not JSON are checked only for
// panics.
func ScanLog(r io.Reader) (RunLog, error) {
	rl := RunLog{Changes: map[string]uint32{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if s := string(line); strings.HasPrefix(s, "panic:") || strings.HasPrefix(s, "fatal error:") {
			rl.Panics++
			continue
		}
		var l logLine
		if json.Unmarshal(line, &l) != nil {
			continue
		}
		switch {
		case l.Trust != nil && l.Sensor != "":
			rl.Changes[l.Sensor]++
		case strings.HasPrefix(l.Message, "outbox: cannot use the state directory"):
			rl.DiskErrors++
		case strings.HasPrefix(l.Message, "outbox: state directory writable again"):
			rl.DiskBack++
		case strings.HasPrefix(l.Message, "outbox: resending messages left by the previous run"):
			rl.Resent++
		case strings.HasPrefix(l.Message, "outbox full: dropped a durable message"):
			rl.DroppedDur++
		}
		if l.Level == "error" && len(rl.Errors) < 20 {
			rl.Errors = append(rl.Errors, l.Message)
		}
	}
	if err := sc.Err(); err != nil {
		return rl, fmt.Errorf("chaos: read log: %w", err)
	}
	return rl, nil
}
