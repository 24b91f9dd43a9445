package faults

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Label names a fault in force on a frame.
type Label struct {
	Fault    string
	Severity int
}

// Output is one frame a Player delivers, with what was done to it.
type Output struct {
	Frame sensors.Frame
	// Active lists the scenario events in force when the frame was produced
	// (empty: clean).
	Active []Label
	// Altered is true when the frame is not the input frame itself: its
	// content or header was changed, it was held back, or it repeats an
	// earlier frame. Some faults leave some frames alone (frozen lets one
	// frame in n+1 through, frame_drops drops only some).
	Altered bool
}

// Player applies the events of a scenario for one sensor to its frames.
// Scenario time is the frame's stamp minus the start (the stamp of the first
// frame pushed, unless given). An event's injector is created fresh at its
// onset and flushed when it ends. A Player is not safe for concurrent use.
type Player struct {
	info   sensors.Info
	start  time.Time
	events []Event
	live   []Injector // parallel to events; nil when not in force
}

// NewPlayer returns a player for the sensor described by info. It fails with
// an *UnknownFaultError when an event for this sensor names a fault that
// does not apply to its kind.
func NewPlayer(sc *Scenario, info sensors.Info, start time.Time) (*Player, error) {
	if sc == nil {
		return nil, errNoScenario
	}
	p := &Player{info: info, start: start}
	for _, e := range sc.Events {
		if e.Sensor != info.Name {
			continue
		}
		if _, err := New(info.Kind, Config{Fault: e.Fault, Severity: e.Severity, Seed: e.Seed, Period: info.Period}); err != nil {
			return nil, fmt.Errorf("faults: event at %v (line %d) on %s: %w", e.At, e.Line, e.Sensor, err)
		}
		p.events = append(p.events, e)
	}
	p.live = make([]Injector, len(p.events))
	return p, nil
}

// Events lists the events that concern this player's sensor.
func (p *Player) Events() []Event { return append([]Event(nil), p.events...) }

// Push feeds one frame and returns the frames to deliver now.
func (p *Player) Push(f sensors.Frame) []Output {
	if p.start.IsZero() {
		p.start = f.Head().Stamp
	}
	t := f.Head().Stamp.Sub(p.start)
	var out []Output
	var labels []Label
	frames := []sensors.Frame{f}
	for i, e := range p.events {
		if !e.Active(t) {
			if p.live[i] != nil {
				for _, h := range p.live[i].Flush() {
					out = append(out, Output{Frame: h, Active: []Label{{e.Fault, e.Severity}}, Altered: true})
				}
				p.live[i] = nil
			}
			continue
		}
		if p.live[i] == nil {
			inj, err := New(p.info.Kind, Config{Fault: e.Fault, Severity: e.Severity, Seed: e.Seed, Period: p.info.Period})
			if err != nil {
				continue // checked in NewPlayer
			}
			p.live[i] = inj
		}
		labels = append(labels, Label{e.Fault, e.Severity})
		var next []sensors.Frame
		for _, g := range frames {
			next = append(next, p.live[i].Inject(g)...)
		}
		frames = next
	}
	for _, g := range frames {
		out = append(out, Output{Frame: g, Active: labels, Altered: g != f})
	}
	return out
}

// Flush returns the frames still held by events in force.
func (p *Player) Flush() []Output {
	var out []Output
	for i, inj := range p.live {
		if inj == nil {
			continue
		}
		for _, h := range inj.Flush() {
			out = append(out, Output{Frame: h, Active: []Label{{p.events[i].Fault, p.events[i].Severity}}, Altered: true})
		}
		p.live[i] = nil
	}
	return out
}

// WrapOptions configure Wrap.
type WrapOptions struct {
	// Start is the scenario's time zero; zero means the stamp of the first
	// frame. Give all sensors of one scenario the same start.
	Start time.Time
	// Observe, when set, is called with every delivered frame's labels just
	// before it is emitted (for ground truth); it must not keep Frame.
	Observe func(Output)
}

// Source is a sensors.Source with a scenario's faults applied. Delivered
// frames are renumbered so that Seq still grows by one per frame.
type Source struct {
	src  sensors.Source
	sc   *Scenario
	opts WrapOptions

	mu  sync.Mutex
	seq uint64
}

// Wrap applies the events of sc that name src's sensor to its frames.
func Wrap(src sensors.Source, sc *Scenario, opts WrapOptions) (*Source, error) {
	if _, err := NewPlayer(sc, src.Info(), opts.Start); err != nil {
		return nil, err
	}
	return &Source{src: src, sc: sc, opts: opts}, nil
}

// Info implements sensors.Source; it is the wrapped source's.
func (s *Source) Info() sensors.Info { return s.src.Info() }

// Counters passes on the wrapped source's counters when it counts.
func (s *Source) Counters() sensors.Counters {
	if c, ok := s.src.(sensors.Counted); ok {
		return c.Counters()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return sensors.Counters{Frames: s.seq}
}

// Run implements sensors.Source. Each Run starts the scenario afresh.
func (s *Source) Run(ctx context.Context, emit func(sensors.Frame)) error {
	p, err := NewPlayer(s.sc, s.src.Info(), s.opts.Start)
	if err != nil {
		return err
	}
	deliver := func(outs []Output) {
		for _, o := range outs {
			s.mu.Lock()
			s.seq++
			seq := s.seq
			s.mu.Unlock()
			o.Frame.Head().Seq = seq
			if s.opts.Observe != nil {
				s.opts.Observe(o)
			}
			emit(o.Frame)
		}
	}
	err = s.src.Run(ctx, func(f sensors.Frame) { deliver(p.Push(f)) })
	if ctx.Err() == nil {
		deliver(p.Flush())
	}
	return err
}
