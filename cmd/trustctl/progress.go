package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/schollz/progressbar/v3"
)

// progressLineInterval is how often plain progress lines are written when
// stderr is not a terminal.
const progressLineInterval = 10 * time.Second

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// progressBars returns a progress callback that reports each stage on w,
// and a function that finishes the last stage. On a terminal each stage gets
// a progress bar with ETA; anywhere else (a pipe, a log file, CI) it writes
// plain lines: one when a stage starts, one every progressLineInterval and
// one when it ends, never carriage returns. quiet silences both.
func progressBars(quiet bool, w io.Writer) (progress func(stage string, done, total int), finish func()) {
	switch {
	case quiet:
		return func(string, int, int) {}, func() {}
	case isTerminal(w):
		return terminalBars(w)
	default:
		l := &progressLines{w: w, every: progressLineInterval, now: time.Now}
		return l.progress, l.finish
	}
}

func terminalBars(w io.Writer) (progress func(stage string, done, total int), finish func()) {
	var bar *progressbar.ProgressBar
	var current string
	finish = func() {
		if bar != nil {
			bar.Finish()
		}
	}
	progress = func(stage string, done, total int) {
		if bar == nil || stage != current {
			finish()
			if total <= 0 {
				total = -1
			}
			bar, current = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription(stage),
				progressbar.OptionShowCount(),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionShowElapsedTimeOnFinish(),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			), stage
		}
		bar.Set(done)
	}
	return progress, finish
}

// progressLines is the progress report for logs: whole lines, rate-limited.
type progressLines struct {
	w     io.Writer
	every time.Duration
	now   func() time.Time

	stage       string
	started     bool
	done, total int
	start, last time.Time
}

func (l *progressLines) progress(stage string, done, total int) {
	if !l.started || stage != l.stage {
		l.finish()
		l.stage, l.started, l.start = stage, true, l.now()
		l.done, l.total, l.last = done, total, l.start
		fmt.Fprintf(l.w, "%s: started\n", l.label())
		return
	}
	l.done, l.total = done, total
	if t := l.now(); t.Sub(l.last) >= l.every {
		l.last = t
		fmt.Fprintf(l.w, "%s: %s\n", l.label(), l.count())
	}
}

func (l *progressLines) finish() {
	if !l.started {
		return
	}
	fmt.Fprintf(l.w, "%s: done, %s in %v\n", l.label(), l.count(), l.now().Sub(l.start).Round(time.Millisecond))
	l.started = false
}

func (l *progressLines) label() string {
	if l.stage == "" {
		return "progress"
	}
	return l.stage
}

func (l *progressLines) count() string {
	if l.total <= 0 {
		return fmt.Sprintf("%d", l.done)
	}
	return fmt.Sprintf("%d/%d (%.0f%%)", l.done, l.total, 100*float64(l.done)/float64(l.total))
}
