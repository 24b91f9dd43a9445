package recorded

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// StampLayout is the KITTI raw timestamps.txt layout (UTC, nanoseconds).
const StampLayout = "2006-01-02 15:04:05.000000000"

// FormatStamp formats t as one timestamps.txt line (without newline).
func FormatStamp(t time.Time) string {
	return t.UTC().Format(StampLayout)
}

// maxStampLine bounds one timestamps.txt line; real lines are ~30 bytes.
const maxStampLine = 256

// ParseTimestamps reads a timestamps.txt: one stamp per non-blank line,
// either KITTI raw style ("2011-09-26 13:02:25.964389445", taken as UTC) or
// plain seconds since the Unix epoch with an optional fraction of up to nine
// digits. Errors name the offending line.
func ParseTimestamps(r io.Reader) ([]time.Time, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, maxStampLine), maxStampLine)
	var out []time.Time
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		t, err := ParseStamp(s)
		if err != nil {
			return nil, fmt.Errorf("recorded: timestamps line %d: %w", line, err)
		}
		out = append(out, t)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("recorded: timestamps line %d: %w", line+1, err)
	}
	return out, nil
}

// ParseStamp parses one stamp in either timestamps.txt style.
func ParseStamp(s string) (time.Time, error) {
	if strings.ContainsAny(s, "-:") && strings.Contains(s, " ") {
		t, err := time.Parse("2006-01-02 15:04:05.999999999", s)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad KITTI stamp %q", s)
		}
		return t, nil
	}
	return parseSeconds(s)
}

// parseSeconds parses "123.456" exactly (no float rounding).
func parseSeconds(s string) (time.Time, error) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if intPart == "" || (hasFrac && frac == "") || len(frac) > 9 {
		return time.Time{}, fmt.Errorf("bad stamp %q", s)
	}
	sec, err := strconv.ParseUint(intPart, 10, 63)
	if err != nil || sec > 1<<40 {
		return time.Time{}, fmt.Errorf("bad stamp %q", s)
	}
	var ns int64
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			c := frac[i]
			if c < '0' || c > '9' {
				return time.Time{}, fmt.Errorf("bad stamp %q", s)
			}
			ns += int64(c - '0')
		}
	}
	return time.Unix(int64(sec), ns).UTC(), nil
}
