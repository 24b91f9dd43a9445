package service

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

// NewLogger returns trustd's logger writing to w at level: JSON lines when w
// is not a terminal, each prefixed with its syslog priority when w is the
// journald stream systemd gave the service (so `journalctl -p err` works),
// a human console format on a terminal.
func NewLogger(w io.Writer, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("service: log level %q is not trace, debug, info, warn or error", level)
	}
	out := w
	if f, ok := w.(*os.File); ok {
		switch {
		case isatty.IsTerminal(f.Fd()):
			out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.TimeOnly}
		case toJournal(f, os.Getenv):
			out = journalWriter{w}
		}
	}
	return zerolog.New(out).Level(lvl).With().Timestamp().Logger(), nil
}
