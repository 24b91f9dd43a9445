package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Injector applies one fault to the frames of one sensor, in stream order.
//
// Inject consumes one input frame and returns the frames to deliver in its
// place: usually one, none when the fault drops it, two when it releases a
// frame it held back. It never modifies in or any frame it returned before.
// When the fault leaves a frame unchanged it returns in itself, so callers
// can tell altered frames by pointer. Flush returns the frames still held
// when the fault ends.
type Injector interface {
	Inject(in sensors.Frame) []sensors.Frame
	Flush() []sensors.Frame
}

// Class says which frames a fault applies to.
type Class uint8

// Classes of fault.
const (
	ClassLidar  Class = iota + 1 // LiDAR scans only
	ClassCamera                  // camera images only
	ClassStream                  // the stream of any sensor (timing, repetition, loss)
)

func (c Class) String() string {
	switch c {
	case ClassLidar:
		return "lidar"
	case ClassCamera:
		return "camera"
	case ClassStream:
		return "stream"
	}
	return "unknown"
}

// applies reports whether a fault of class c can be applied to kind k.
func (c Class) applies(k sensors.Kind) bool {
	switch c {
	case ClassLidar:
		return k == sensors.KindLidar
	case ClassCamera:
		return k == sensors.KindCamera
	case ClassStream:
		return true
	}
	return false
}

// Spec describes one fault of the catalogue.
type Spec struct {
	Name      string
	Class     Class
	Summary   string    // what happens, one line
	Params    [3]string // the parameter at severities 1, 2, 3, human readable
	Reference string    // the benchmark or model the formula follows
}

// Config selects a fault and how hard it hits.
type Config struct {
	Fault    string // catalogue name, e.g. "fog"
	Severity int    // 1, 2 or 3
	Seed     uint64 // random stream; the same seed gives the same output
	// Period is the sensor's nominal frame period, used by timing faults
	// (timestamp_jitter). 0 means: estimate it from the stamps seen.
	Period time.Duration
}

// UnknownFaultError is returned when a fault name is not in the catalogue for
// the sensor kind it is applied to.
type UnknownFaultError struct {
	Name string
	Kind sensors.Kind // KindUnknown when any kind was acceptable
}

func (e *UnknownFaultError) Error() string {
	if e.Kind == sensors.KindUnknown {
		return fmt.Sprintf("faults: unknown fault %q (known: %v)", e.Name, Names(sensors.KindUnknown))
	}
	return fmt.Sprintf("faults: fault %q does not apply to %s sensors (known: %v)", e.Name, e.Kind, Names(e.Kind))
}

// ErrSeverity is returned (wrapped) for a severity outside 1–3.
var ErrSeverity = errors.New("faults: severity must be 1, 2 or 3")

// entry is a catalogue row with its constructor.
type entry struct {
	spec Spec
	make func(cfg Config) Injector
}

// catalogue returns the table of all faults. It is a function, not a
// package variable, so that nothing in the package is mutable.
func catalogue() []entry {
	var all []entry
	all = append(all, lidarEntries()...)
	all = append(all, cameraEntries()...)
	all = append(all, streamEntries()...)
	return all
}

// Catalogue lists every fault, LiDAR first, then camera, then stream.
func Catalogue() []Spec {
	es := catalogue()
	out := make([]Spec, len(es))
	for i, e := range es {
		out[i] = e.spec
	}
	return out
}

// Names lists the fault names applicable to kind, sorted; KindUnknown lists
// every name once.
func Names(kind sensors.Kind) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range catalogue() {
		if kind != sensors.KindUnknown && !e.spec.Class.applies(kind) {
			continue
		}
		if !seen[e.spec.Name] {
			seen[e.spec.Name] = true
			out = append(out, e.spec.Name)
		}
	}
	sort.Strings(out)
	return out
}

// Lookup finds the spec of the named fault for a sensor kind. A name shared
// by a LiDAR and a camera fault (fog, gaussian_noise, motion_blur) resolves
// by kind; with KindUnknown the first match is returned.
func Lookup(name string, kind sensors.Kind) (Spec, error) {
	e, err := lookup(name, kind)
	if err != nil {
		return Spec{}, err
	}
	return e.spec, nil
}

func lookup(name string, kind sensors.Kind) (entry, error) {
	for _, e := range catalogue() {
		if e.spec.Name == name && (kind == sensors.KindUnknown || e.spec.Class.applies(kind)) {
			return e, nil
		}
	}
	return entry{}, &UnknownFaultError{Name: name, Kind: kind}
}

// Known reports whether name is a fault of any class.
func Known(name string) bool {
	_, err := lookup(name, sensors.KindUnknown)
	return err == nil
}

// New returns an injector for the configured fault on sensors of kind.
func New(kind sensors.Kind, cfg Config) (Injector, error) {
	if cfg.Severity < 1 || cfg.Severity > 3 {
		return nil, fmt.Errorf("%w (got %d)", ErrSeverity, cfg.Severity)
	}
	if cfg.Period < 0 {
		return nil, fmt.Errorf("faults: negative period %v", cfg.Period)
	}
	e, err := lookup(cfg.Fault, kind)
	if err != nil {
		return nil, err
	}
	return e.make(cfg), nil
}

// Chain applies injectors in order, each to the output of the one before.
func Chain(injs ...Injector) Injector { return chain(injs) }

type chain []Injector

func (c chain) Inject(in sensors.Frame) []sensors.Frame {
	frames := []sensors.Frame{in}
	for _, inj := range c {
		var next []sensors.Frame
		for _, f := range frames {
			next = append(next, inj.Inject(f)...)
		}
		frames = next
	}
	return frames
}

func (c chain) Flush() []sensors.Frame {
	var out []sensors.Frame
	for i, inj := range c {
		held := inj.Flush()
		for _, later := range c[i+1:] {
			var next []sensors.Frame
			for _, f := range held {
				next = append(next, later.Inject(f)...)
			}
			held = next
		}
		out = append(out, held...)
	}
	return out
}

// frameRand returns the random stream for the n-th frame an injector sees.
// Keying by position (not by drawing from one long stream) keeps a frame's
// corruption independent of how many draws earlier frames took.
func frameRand(seed uint64, fault string, n uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed^hashString(fault), splitmix(n)))
}

// hashString is FNV-1a, 64 bit.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// splitmix scrambles a counter into a well-mixed 64-bit value.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// perFrame adapts a pure per-frame corruption to an Injector.
type perFrame struct {
	name string
	seed uint64
	n    uint64
	fn   func(in sensors.Frame, r *rand.Rand) sensors.Frame
}

func (p *perFrame) Inject(in sensors.Frame) []sensors.Frame {
	r := frameRand(p.seed, p.name, p.n)
	p.n++
	return []sensors.Frame{p.fn(in, r)}
}

func (p *perFrame) Flush() []sensors.Frame { return nil }
