package service

import (
	"fmt"
	"io"

	"github.com/rs/zerolog"
)

// journalWriter prefixes each log line with its syslog priority, "<3>" for
// an error, which journald reads from a service's stderr stream
// (SyslogLevelPrefix=, on by default): `journalctl -p err` then shows
// trustd's errors, and the line stays the JSON object after the prefix.
type journalWriter struct{ w io.Writer }

// priority is the syslog priority of a zerolog level.
func priority(l zerolog.Level) int {
	switch l {
	case zerolog.PanicLevel:
		return 0 // emerg
	case zerolog.FatalLevel:
		return 2 // crit
	case zerolog.ErrorLevel:
		return 3 // err
	case zerolog.WarnLevel:
		return 4 // warning
	case zerolog.InfoLevel, zerolog.NoLevel:
		return 6 // info
	default:
		return 7 // debug
	}
}

func (j journalWriter) Write(p []byte) (int, error) { return j.WriteLevel(zerolog.NoLevel, p) }

// WriteLevel implements zerolog.LevelWriter.
func (j journalWriter) WriteLevel(l zerolog.Level, p []byte) (int, error) {
	b := make([]byte, 0, len(p)+3)
	b = fmt.Appendf(b, "<%d>", priority(l))
	b = append(b, p...)
	if _, err := j.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}
