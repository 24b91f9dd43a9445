package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/sensortrust/trustagent/transport"
	"github.com/sensortrust/trustagent/transport/consumer"
	"github.com/sensortrust/trustagent/transport/fleet"
)

// watchTable prints fleet snapshots. On a terminal it redraws in place,
// colours the levels and keeps to the terminal's height; anywhere else it
// writes plain snapshots, every row, one after another.
type watchTable struct {
	w      io.Writer
	broker string
	tty    bool
	height func() int // terminal rows; 0 when unknown
}

func newWatchTable(w io.Writer, broker string) *watchTable {
	t := &watchTable{w: w, broker: broker, tty: isTerminal(w), height: func() int { return 0 }}
	if f, ok := w.(*os.File); ok && t.tty {
		t.height = func() int {
			_, h, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return h
		}
	}
	return t
}

// levelColour holds the colours of the levels. Every colour, and the bold
// of the column's title, is 5 bytes before the word and 4 after, so that the
// table's columns, measured in bytes, stay aligned on the screen.
var levelColour = map[transport.Level]string{
	transport.LevelOK: "\x1b[32m", transport.LevelWarn: "\x1b[33m",
	transport.LevelError: "\x1b[31m", transport.LevelStale: "\x1b[35m",
}

const colourTitle, colourEnd = "\x1b[01m", "\x1b[0m"

func (t *watchTable) print(s *fleet.Snapshot, connected bool) error {
	var b strings.Builder
	if t.tty {
		b.WriteString("\x1b[H\x1b[2J") // home, clear
	}
	conn := ""
	if !connected {
		conn = "  DISCONNECTED, reconnecting"
	}
	fmt.Fprintf(&b, "%s  %s  robots %d (%d online, %d offline)  OK %d  WARN %d  ERROR %d  STALE %d%s\n",
		s.At.Format("15:04:05"), t.broker, s.Robots, s.Online, s.Offline,
		s.Levels[transport.LevelOK], s.Levels[transport.LevelWarn], s.Levels[transport.LevelError], s.Levels[transport.LevelStale], conn)
	for _, w := range s.Warnings() {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	rows := s.Rows
	more := 0
	if h := t.height(); h > 0 {
		// Header, warnings, the column titles and the "more" line.
		room := max(h-strings.Count(b.String(), "\n")-2, 1)
		if len(rows) > room {
			more = len(rows) - room
			rows = rows[:room]
		}
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	title := "LEVEL"
	if t.colour() {
		title = colourTitle + title + colourEnd
	}
	fmt.Fprintf(tw, "ROBOT\tSENSOR\t%s\tTRUSTED\tCAUSE\tAGE\tREASONS\n", title)
	for i := range rows {
		r := &rows[i]
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Robot, orDash(r.Sensor), t.level(r.Level),
			yesNo(r.Trusted), orDash(printable(string(r.Cause))), age(s.At, r.Updated), printable(reasons(r)))
	}
	tw.Flush()
	if more > 0 {
		fmt.Fprintf(&b, "… %d more\n", more)
	}
	if !t.tty {
		b.WriteString("\n")
	}
	_, err := io.WriteString(t.w, b.String())
	return err
}

// level pads the word before colouring it, so that the escape codes do not
// upset the column widths.
func (t *watchTable) level(l transport.Level) string {
	w := fmt.Sprintf("%-5s", l)
	if !t.colour() {
		return w
	}
	c, ok := levelColour[l]
	if !ok {
		c = "\x1b[39m" // default colour, same length
	}
	return c + w + colourEnd
}

func (t *watchTable) colour() bool { return t.tty && os.Getenv("NO_COLOR") == "" }

// printable replaces control characters (escape sequences from a payload
// could redraw the terminal) and caps the length.
func printable(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// age is how long ago the state was made, to the second.
func age(now, at time.Time) string {
	if at.IsZero() {
		return "-"
	}
	d := now.Sub(at).Round(time.Second)
	switch {
	case d < 0:
		return "-" + (-d).String() + " (clock ahead)"
	case d < time.Second:
		return "<1s"
	}
	return d.String()
}

// reasons says why a row is not trusted when the state's own reasons do
// not (expired, offline, no status), then the state's reasons.
func reasons(r *fleet.Row) string {
	var parts []string
	switch r.Why {
	case consumer.Trusted, consumer.Untrusted:
	default:
		parts = append(parts, string(r.Why))
	}
	for _, x := range r.Reasons {
		s := x.Code
		if x.Feature != "" {
			s += " " + x.Feature
		}
		parts = append(parts, fmt.Sprintf("%s=%.3g", s, x.Value))
	}
	return orDash(strings.Join(parts, ", "))
}
