package sensortest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Options tune the conformance suite. Zero fields take the defaults.
type Options struct {
	// Frames is how many frames the source must deliver (default 3).
	Frames int
	// FrameTimeout bounds the wait for those frames (default 5s).
	FrameTimeout time.Duration
	// StopTimeout bounds the time from cancel to Run's return (default 1s).
	StopTimeout time.Duration
	// SkipLeakCheck turns off the goroutine count check, for sources whose
	// tests cannot avoid background goroutines of their own.
	SkipLeakCheck bool
}

func (o Options) withDefaults() Options {
	if o.Frames <= 0 {
		o.Frames = 3
	}
	if o.FrameTimeout <= 0 {
		o.FrameTimeout = 5 * time.Second
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = time.Second
	}
	return o
}

// Run checks that sources made by newSource honour the sensors.Source
// contract, with default Options. newSource is called once per subtest and
// must return a fresh source able to deliver frames. Run counts goroutines,
// so it must not be called from a parallel test.
func Run(t *testing.T, newSource func(t *testing.T) sensors.Source) {
	t.Helper()
	RunWith(t, Options{}, newSource)
}

// RunWith is Run with options.
func RunWith(t *testing.T, opts Options, newSource func(t *testing.T) sensors.Source) {
	t.Helper()
	opts = opts.withDefaults()
	t.Run("Info", func(t *testing.T) { report(t, checkInfo(newSource(t).Info())) })
	t.Run("Stream", func(t *testing.T) { report(t, checkStream(t, opts, newSource)) })
	t.Run("CancelledBeforeStart", func(t *testing.T) { report(t, checkCancelledBeforeStart(t, opts, newSource)) })
}

// problems collects what a check found; the checks return them rather than
// failing a test so that the suite itself can be tested on broken sources.
type problems []string

func (p *problems) add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

func report(t *testing.T, p problems) {
	t.Helper()
	for _, s := range p {
		t.Error(s)
	}
}

func checkInfo(info sensors.Info) (p problems) {
	if info.Name == "" {
		p.add("Info().Name is empty")
	}
	if info.Kind == sensors.KindUnknown {
		p.add("Info().Kind is KindUnknown")
	}
	if info.Model == "" {
		p.add("Info().Model is empty")
	}
	if info.Address == "" {
		p.add("Info().Address is empty")
	}
	if info.Period < 0 {
		p.add("Info().Period = %v, want ≥ 0", info.Period)
	}
	return p
}

// guardedEmit wraps emit so calls after Run returned are recorded.
type guardedEmit struct {
	returned atomic.Bool
	late     atomic.Int64
	inner    func(sensors.Frame)
}

func (g *guardedEmit) emit(f sensors.Frame) {
	if g.returned.Load() {
		g.late.Add(1)
		return
	}
	g.inner(f)
}

func checkStream(t *testing.T, opts Options, newSource func(t *testing.T) sensors.Source) (p problems) {
	base := goroutineIDs()
	src := newSource(t)
	info := src.Info()
	var col Collector
	g := &guardedEmit{inner: col.Emit}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		err := src.Run(ctx, g.emit)
		g.returned.Store(true)
		done <- err
	}()

	wctx, wcancel := context.WithTimeout(ctx, opts.FrameTimeout)
	werr := col.WaitN(wctx, opts.Frames)
	wcancel()
	if werr != nil {
		// The source may have ended by itself; report why.
		select {
		case err := <-done:
			return append(p, fmt.Sprintf("Run returned %v after %d of %d frames", err, col.Len(), opts.Frames))
		default:
		}
		cancel()
		select {
		case <-done:
		case <-time.After(opts.StopTimeout):
			p.add("Run did not return within %v of cancel", opts.StopTimeout)
		}
		return append(p, fmt.Sprintf("got %d of %d frames within %v", col.Len(), opts.Frames, opts.FrameTimeout))
	}

	cancelled := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			p.add("Run after cancel returned %v, want nil or context.Canceled", err)
		}
		if d := time.Since(cancelled); d > opts.StopTimeout {
			p.add("Run took %v to return after cancel, want ≤ %v", d, opts.StopTimeout)
		}
	case <-time.After(opts.StopTimeout):
		return append(p, fmt.Sprintf("Run did not return within %v of cancel", opts.StopTimeout))
	}

	frames := col.Frames()
	p = append(p, checkFrames(info, frames)...)

	if c, ok := src.(sensors.Counted); ok {
		if got := c.Counters().Frames; got < uint64(len(frames)) {
			p.add("Counters().Frames = %d, but %d frames were delivered", got, len(frames))
		}
	}

	// A late emit from a stray goroutine would show up shortly after return.
	time.Sleep(20 * time.Millisecond)
	if n := g.late.Load(); n > 0 {
		p.add("emit called %d times after Run returned", n)
	}
	if !opts.SkipLeakCheck {
		p = append(p, checkGoroutines(base)...)
	}
	return p
}

func checkCancelledBeforeStart(t *testing.T, opts Options, newSource func(t *testing.T) sensors.Source) (p problems) {
	base := goroutineIDs()
	src := newSource(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := &guardedEmit{inner: func(sensors.Frame) {}}
	done := make(chan error, 1)
	go func() {
		err := src.Run(ctx, g.emit)
		g.returned.Store(true)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			p.add("Run with a cancelled context returned %v, want nil or context.Canceled", err)
		}
	case <-time.After(opts.StopTimeout):
		return append(p, fmt.Sprintf("Run with a cancelled context did not return within %v", opts.StopTimeout))
	}
	time.Sleep(20 * time.Millisecond)
	if n := g.late.Load(); n > 0 {
		p.add("emit called %d times after Run returned", n)
	}
	if !opts.SkipLeakCheck {
		p = append(p, checkGoroutines(base)...)
	}
	return p
}

// checkFrames verifies headers and per-kind shape.
func checkFrames(info sensors.Info, frames []sensors.Frame) (p problems) {
	var lastSeq uint64
	for i, f := range frames {
		if f == nil {
			p.add("frame %d is nil", i)
			continue
		}
		h := f.Head()
		if f.Kind() != info.Kind {
			p.add("frame %d: Kind %v, Info says %v", i, f.Kind(), info.Kind)
		}
		if h.Sensor != info.Name {
			p.add("frame %d: Sensor %q, Info.Name %q", i, h.Sensor, info.Name)
		}
		if i > 0 && h.Seq <= lastSeq {
			p.add("frame %d: Seq %d not above previous %d", i, h.Seq, lastSeq)
		}
		lastSeq = h.Seq
		if h.Stamp.IsZero() {
			p.add("frame %d: zero Stamp", i)
		}
		if h.Received.IsZero() {
			p.add("frame %d: zero Received", i)
		}
		if err := CheckFrame(f); err != nil {
			p.add("frame %d: %v", i, err)
		}
	}
	// Frames belong to the receiver: no two deliveries may share storage.
	seen := make(map[sensors.Frame]int, len(frames))
	for i, f := range frames {
		if j, ok := seen[f]; ok {
			p.add("frames %d and %d are the same object; sources must not reuse frames", j, i)
		}
		seen[f] = i
	}
	return p
}

// checkGoroutines waits up to a second for every goroutine not in base to
// end.
func checkGoroutines(base map[string]bool) (p problems) {
	deadline := time.Now().Add(time.Second)
	for {
		extra := newGoroutines(base)
		if len(extra) == 0 {
			return p
		}
		if time.Now().After(deadline) {
			p.add("%d goroutines still running after Run returned:\n%s", len(extra), strings.Join(extra, "\n\n"))
			return p
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// goroutineIDs returns the ids of the running goroutines.
func goroutineIDs() map[string]bool {
	ids := make(map[string]bool)
	for _, g := range goroutineStacks() {
		ids[goroutineID(g)] = true
	}
	return ids
}

// newGoroutines returns the stacks of goroutines whose id is not in base.
func newGoroutines(base map[string]bool) []string {
	var out []string
	for _, g := range goroutineStacks() {
		if !base[goroutineID(g)] {
			out = append(out, g)
		}
	}
	return out
}

func goroutineStacks() []string {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return strings.Split(strings.TrimSpace(string(buf[:n])), "\n\n")
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goroutineID extracts N from a stack starting "goroutine N [state]:".
func goroutineID(stack string) string {
	f := strings.Fields(stack)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}
