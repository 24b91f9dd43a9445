package hostsim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sensortrust/trustagent/agent/host"
)

// Kind is a host fault type.
type Kind int

const (
	Throttling     Kind = iota // the fan stops: temperature climbs, the firmware throttles, the clock drops
	Runaway                    // a process spins one core at 100 %
	MemoryLeak                 // memory use climbs steadily
	DiskFill                   // the state directory's file system fills
	BusErrors                  // bursts of sensor bus errors
	UnderVoltage               // brown-outs: the firmware's under-voltage flag comes and goes
	SlowHeat                   // cooling fails gradually: the temperature creeps up over minutes
	MemoryPressure             // another process takes the memory: what is available falls
	ClockJump                  // the wall clock is set: it steps away from the monotonic clock
)

// Kinds lists every fault type, the firmware's and the system's first, the
// slow heat-up last.
var Kinds = []Kind{Throttling, Runaway, MemoryLeak, MemoryPressure, DiskFill, BusErrors, UnderVoltage, ClockJump, SlowHeat}

// String is the fault's name in words ("thermal throttling").
func (k Kind) String() string {
	if k < 0 || int(k) >= len(Kinds) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return [...]string{"thermal throttling", "runaway process", "memory leak", "disk filling", "bus error bursts",
		"under-voltage", "slow heat-up", "memory pressure", "clock jumps"}[k]
}

// kindNames are the faults' names in configuration files, in Kind order.
var kindNames = [...]string{"fan_stop", "runaway", "memory_leak", "disk_fill", "bus_errors", "under_voltage", "slow_heat",
	"memory_pressure", "clock_jump"}

// Name is the fault's name in configuration files ("fan_stop").
func (k Kind) Name() string {
	if k < 0 || int(k) >= len(Kinds) {
		return k.String()
	}
	return kindNames[k]
}

// ParseKind returns the fault type named name (Kind.Name).
func ParseKind(name string) (Kind, error) {
	for _, k := range Kinds {
		if k.Name() == name {
			return k, nil
		}
	}
	return 0, fmt.Errorf("hostsim: unknown host fault %q (one of %s)", name, strings.Join(kindNames[:], ", "))
}

// Fault is one fault of Kind active from Start for Duration.
type Fault struct {
	Kind     Kind
	Start    time.Time
	Duration time.Duration
}

// Planned is a fault scheduled from the moment a host model starts
// judging the machine: At after it, for For.
type Planned struct {
	Kind    Kind
	At, For time.Duration
}

func (f Fault) active(t time.Time) (bool, float64) {
	if t.Before(f.Start) || !t.Before(f.Start.Add(f.Duration)) {
		return false, 0
	}
	return true, t.Sub(f.Start).Seconds()
}

// Machine is a synthetic 4-core robot computer. Its healthy behaviour: a
// sensor workload of about 35 % per core with bursts, a CPU temperature
// that follows the load and a daily ambient swing of ±3 °C, an on-demand
// CPU clock, memory and the agent's heap moving a little with the garbage
// collector, a state disk that fills by one percent a week, a rare single
// bus error, and a wall clock that NTP slews by at most 0.5 ms a second
// against the monotonic one. Deterministic for a Seed; Sample may be called at
// any pace (accelerated runs sample a simulated clock).
type Machine struct {
	Seed   uint64
	Faults []Fault
	// Planned faults join Faults when Judging is first called
	// (host.JudgingAware).
	Planned []Planned

	rng   *rand.Rand
	busy  float64 // smoothed workload
	load  float64
	temp  float64
	mem   float64
	rss   float64
	leak  float64
	bus   uint64
	prev  time.Time
	start time.Time
	begun bool
	trend host.Trend
	// offset is the wall clock's lead over the true time, s; slew is
	// NTP's correction of it, s/s; jumps counts the minutes of the current
	// ClockJump fault whose step is done (0: none yet).
	offset, slew float64
	jumps        int
}

func (m *Machine) init(now time.Time) {
	m.rng = rand.New(rand.NewPCG(m.Seed, 0x686f7374))
	m.busy, m.load, m.mem, m.rss = 0.35, 1.4, 0.45, 60
	m.temp = 50 + 15*0.35 + ambient(now)
	m.prev, m.start = now.Add(-time.Second), now
	m.begun = true
}

// Judging implements host.JudgingAware: the Planned faults are scheduled
// from now, once.
func (m *Machine) Judging(now time.Time) {
	for _, p := range m.Planned {
		m.Faults = append(m.Faults, Fault{Kind: p.Kind, Start: now.Add(p.At), Duration: p.For})
	}
	m.Planned = nil
}

// Sample implements host.Sampler.
func (m *Machine) Sample(now time.Time) host.Sample {
	if !m.begun {
		m.init(now)
	}
	dt := max(1e-3, now.Sub(m.prev).Seconds())
	m.prev = now
	r := m.rng
	const cores = 4
	// Workload: a slowly wandering mean with short bursts (a planner, a
	// map update).
	m.busy += 0.02*(0.35-m.busy) + 0.01*r.NormFloat64()
	burst := 0.0
	if r.Float64() < 0.02 {
		burst = 0.3 * r.Float64()
	}
	busy := make([]float64, cores)
	for i := range busy {
		busy[i] = clamp01(m.busy + burst + 0.06*r.NormFloat64())
	}
	throttled, underV := false, false
	freq := clamp01(0.7 + 0.6*mean(busy) + 0.05*r.NormFloat64())
	extraHeat, leakRate, taken := 0.0, 0.0, 0.0
	const total = 4 << 30 // bytes of memory
	jumping := false
	busErr := 0.0
	if r.Float64() < 1.0/20000 {
		busErr = 1
	}
	diskFree := 0.60 - 0.01*now.Sub(m.start).Hours()/(7*24)
	for _, f := range m.Faults {
		on, since := f.active(now)
		if !on {
			continue
		}
		switch f.Kind {
		case Throttling:
			// The fan stops: the board's equilibrium temperature rises by
			// 30 °C at once, the temperature follows with the board's
			// thermal time constant, and the firmware throttles above 80 °C.
			extraHeat = 30
		case SlowHeat:
			// The equilibrium temperature rises by 30 °C over ten minutes
			// (the temperature, following it, is 0.1 °C above normal after
			// ten seconds, 5 °C after two minutes).
			extraHeat = 30 * min(1, since/600)
		case Runaway:
			busy[0] = 1
		case MemoryLeak:
			leakRate = 2 // MB/s
		case DiskFill:
			diskFree -= min(diskFree-0.001, since*0.0005) // 0.05 % of the disk a second
		case BusErrors:
			if int(since)%20 < 5 {
				busErr = 5 + 20*r.Float64()
			}
		case MemoryPressure:
			// Another process takes memory at 10 MB/s until 2 % of it is
			// left; the agent's own memory does not move.
			taken = since * 10 * (1 << 20) / total
		case ClockJump:
			// Two time sources fight over the clock: it is set 1 to 30 s
			// forwards or back at the fault's start and every minute after.
			jumping = true
			if minute := int(since/60) + 1; minute != m.jumps {
				step := 1 + 29*r.Float64()
				if r.Float64() < 0.5 {
					step = -step
				}
				m.offset += step
				m.jumps = minute
			}
		case UnderVoltage:
			if r.Float64() < 0.3 {
				underV = true
				freq = min(freq, 0.5)
			}
		}
	}
	target := 50 + 15*mean(busy) + ambient(now) + extraHeat
	m.temp += (target - m.temp) * min(1, dt/30)
	if m.temp > 80 {
		throttled = true
		freq = min(freq, 0.6)
	}
	m.load += (mean(busy)*cores - m.load) * min(1, dt/60)
	if leakRate == 0 {
		m.leak = 0 // the leaking process was restarted
	}
	m.leak += leakRate * dt
	m.rss += 0.05*(60-m.rss) + 0.5*r.NormFloat64()
	m.mem += 0.01*(0.45-m.mem) + 0.002*r.NormFloat64()
	gc := 0.0
	if r.Float64() < 0.4 {
		gc = 0.2 + 0.1*r.ExpFloat64()
	}
	m.bus += uint64(busErr * dt)
	if !jumping {
		m.jumps = 0 // a later fault steps at its start
	}
	// NTP slews the wall clock by up to 500 ppm, a correction that
	// wanders over minutes.
	m.slew = max(-5e-4, min(5e-4, m.slew+2e-5*r.NormFloat64()))
	m.offset += m.slew * dt
	used := clamp01(m.mem + m.leak*(1<<20)/total)
	used = max(used, min(0.98, used+taken))
	s := host.Sample{
		Time: now, CPUTempC: m.temp + 0.3*r.NormFloat64(), Throttled: throttled, UnderVoltage: underV,
		FreqRatio: freq, CPUBusy: busy, Load1: m.load, Cores: cores,
		MemUsedFrac: used, MemAvailBytes: uint64((1 - used) * total), RSSBytes: uint64(max(0, m.rss+m.leak) * (1 << 20)),
		GCPauseP99: time.Duration(gc * float64(time.Millisecond)), BusErrors: m.bus, BusErrorsPerS: busErr,
		StateFreeBytes: uint64(diskFree * 32e9), StateFreeFrac: diskFree,
		// The two clocks are read a few microseconds apart.
		Wall: now.Add(time.Duration((m.offset + 5e-6*r.Float64()) * float64(time.Second))).Round(0),
		Mono: now.Sub(m.start) + time.Hour,
	}
	m.trend.Fill(&s)
	return s
}

// ambient is the daily swing of the temperature, ±3 °C, warmest at 06:00 UTC.
func ambient(t time.Time) float64 {
	day := float64(t.Unix()%86400) / 86400
	return 3 * math.Sin(2*math.Pi*day)
}

func clamp01(v float64) float64 { return min(1, max(0, v)) }

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
