package velodyne

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// Firing timing of the VLP-16 (manual §9.7): a firing sequence of 16
// lasers every 55.296 µs, lasers 2.304 µs apart, two sequences per block.
const (
	FiringPeriodUs = 55.296
	LaserPeriodUs  = 2.304
	blockPeriodUs  = 2 * FiringPeriodUs
	hourUs         = int64(3600e6)
)

// NoReturns says whether a scan keeps the cells of lasers that saw nothing.
type NoReturns uint8

// NoReturns choices.
const (
	DropNoReturns NoReturns = iota // only returns (Range > 0) become points
	KeepNoReturns                  // every firing becomes a point, Range 0 if none
)

// Partial says what happens to revolutions that did not start and end at
// the cut azimuth (the first one of a stream, the last before its end or a
// gap).
type Partial uint8

// Partial choices.
const (
	KeepPartial Partial = iota // deliver them
	DropPartial                // discard them
)

// TimeSource says how the sensor's clock maps to Header.Stamp.
type TimeSource uint8

// Time sources.
const (
	// TimeHost anchors the device clock to the host receive time of the
	// first packet and follows the device clock from there (re-anchoring
	// when the two drift apart by more than a second). Right for a VLP-16
	// without GPS.
	TimeHost TimeSource = iota
	// TimeTopOfHour takes the packet timestamp as µs past the top of the
	// host's current hour: right when the VLP-16 is synchronised to GPS/PPS
	// and the host to the same clock.
	TimeTopOfHour
)

// Options configure an Assembler. The zero value is valid.
type Options struct {
	Sensor    string     // Header.Sensor
	CutDeg    float64    // azimuth in degrees [0, 360) where revolutions begin
	NoReturns NoReturns  // default DropNoReturns
	Partial   Partial    // default KeepPartial
	Time      TimeSource // default TimeHost
	// MaxGap is the device-time gap between packets that ends the current
	// revolution as partial (default 25 ms: half a revolution at 20 Hz).
	MaxGap time.Duration
}

func (o *Options) validate() error {
	if math.IsNaN(o.CutDeg) || o.CutDeg < 0 || o.CutDeg >= 360 {
		return fmt.Errorf("velodyne: cut azimuth %g° not in [0, 360)", o.CutDeg)
	}
	if o.NoReturns > KeepNoReturns || o.Partial > DropPartial || o.Time > TimeTopOfHour {
		return errors.New("velodyne: bad assembler options")
	}
	if o.MaxGap < 0 {
		return fmt.Errorf("velodyne: negative MaxGap %v", o.MaxGap)
	}
	if o.MaxGap == 0 {
		o.MaxGap = 25 * time.Millisecond
	}
	return nil
}

// Assembler turns a stream of payloads into revolutions. It keeps one
// decoded Packet and appends points into the current revolution's slice,
// so adding a packet allocates nothing once the slice has grown to a
// revolution's size; each delivered revolution is a new Scan the receiver
// owns. An Assembler is used from one goroutine; Stats may be read from any.
type Assembler struct {
	opts         Options
	cut          float64 // hundredths of a degree
	sinE         [Lasers]float64
	cosE         [Lasers]float64
	pkt          Packet
	cur          *sensors.Scan
	complete     bool    // cur started at a wrap
	nextComplete bool    // the next revolution starts at a wrap
	startDev     float64 // µs, device time of cur's first firing
	lastRot      float64 // rotated azimuth of the last firing; < 0: none
	lastGap      float64 // last block-to-block azimuth step, hundredths of a degree
	capHint      int
	seq          uint64

	// Device clock unwrapping and mapping to wall time.
	havePkt    bool
	lastTs     uint32
	hours      int64
	lastDev    int64
	anchorHost time.Time
	anchorDev  int64
	lastRecv   time.Time

	packets, malformed, drops, revolutions, points atomic.Uint64
}

// Stats are an Assembler's counts.
type Stats struct {
	Packets     uint64 // payloads decoded
	Malformed   uint64 // payloads rejected
	Drops       uint64 // packets missing, from gaps in the device timestamps
	Revolutions uint64 // scans delivered
	Points      uint64 // points delivered
}

// NewAssembler returns an assembler with the given options.
func NewAssembler(opts Options) (*Assembler, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	a := &Assembler{opts: opts, cut: opts.CutDeg * 100, lastRot: -1, lastGap: 40, capHint: 32 * Blocks * 80}
	for i := 0; i < Lasers; i++ {
		a.sinE[i], a.cosE[i] = math.Sincos(ElevationDeg(i) * math.Pi / 180)
	}
	return a, nil
}

// Stats returns the counts so far.
func (a *Assembler) Stats() Stats {
	return Stats{
		Packets: a.packets.Load(), Malformed: a.malformed.Load(), Drops: a.drops.Load(),
		Revolutions: a.revolutions.Load(), Points: a.points.Load(),
	}
}

// Add decodes one payload received at recv (zero if unknown, as in a raw
// payload file) and calls emit for each revolution it completes. A payload
// the decoder rejects is counted and its error returned; the assembler
// stays usable.
func (a *Assembler) Add(b []byte, recv time.Time, emit func(*sensors.Scan)) error {
	if err := a.pkt.Decode(b); err != nil {
		a.malformed.Add(1)
		return err
	}
	a.packets.Add(1)
	p := &a.pkt
	dev := a.unwrap(p.Timestamp)
	step := 1
	pktUs := Blocks * blockPeriodUs
	if p.Mode == Dual {
		step = 2
		pktUs /= 2
	}
	if a.havePkt {
		gap := dev - a.lastDev
		if gap < 0 || time.Duration(gap)*time.Microsecond > a.opts.MaxGap {
			a.flush(emit, false)
		} else if float64(gap) > 1.5*pktUs {
			a.drops.Add(uint64(math.Round(float64(gap)/pktUs)) - 1)
		}
	}
	a.havePkt, a.lastDev = true, dev
	a.mapClock(dev, recv, pktUs)
	a.lastRecv = recv

	for bi := 0; bi < Blocks; bi += step {
		az0 := float64(p.Blocks[bi].Azimuth)
		gap := a.lastGap
		if bi+step < Blocks {
			gap = math.Mod(float64(p.Blocks[bi+step].Azimuth)-az0+36000, 36000)
		} else if bi >= step {
			gap = math.Mod(az0-float64(p.Blocks[bi-step].Azimuth)+36000, 36000)
		}
		if gap > 200 { // > 2° per block: glitch or lost data; keep the last good step
			gap = a.lastGap
		}
		a.lastGap = gap
		blockDev := float64(dev) + float64(bi/step)*blockPeriodUs
		for seq := 0; seq < 2; seq++ {
			seqUs := float64(seq) * FiringPeriodUs
			rot := math.Mod(az0+gap*seqUs/blockPeriodUs-a.cut+72000, 36000)
			if a.lastRot >= 0 && rot < a.lastRot-1000 {
				a.flush(emit, true)
			}
			a.lastRot = rot
			if a.cur == nil {
				a.start(blockDev + seqUs)
			}
			a.firing(bi, step, seq, az0, gap, blockDev+seqUs)
		}
	}
	return nil
}

// firing appends the points of one firing sequence.
func (a *Assembler) firing(bi, step, seq int, az0, gap, fireDev float64) {
	p := &a.pkt
	keep := a.opts.NoReturns == KeepNoReturns
	for laser := 0; laser < Lasers; laser++ {
		tUs := float64(laser) * LaserPeriodUs
		az := az0 + gap*(float64(seq)*FiringPeriodUs+tUs)/blockPeriodUs
		if az >= 36000 {
			az -= 36000
		}
		rad := az * (math.Pi / 18000)
		sinA, cosA := math.Sincos(rad)
		off := int32(math.Round(fireDev + tUs - a.startDev))
		c := seq*Lasers + laser
		for r := 0; r < step; r++ {
			ch := p.Blocks[bi+r].Channels[c]
			if r == 1 && ch == p.Blocks[bi].Channels[c] {
				continue // dual mode: one echo reported twice
			}
			if ch.Distance == 0 && (!keep || r == 1) {
				continue
			}
			rng := float64(ch.Distance) * DistanceUnitM
			xy := rng * a.cosE[laser]
			a.cur.Points = append(a.cur.Points, sensors.Point{
				X:         float32(xy * sinA),
				Y:         float32(xy * cosA),
				Z:         float32(rng * a.sinE[laser]),
				Intensity: float32(ch.Reflectivity) / 255,
				Range:     float32(rng),
				Azimuth:   float32(rad),
				Ring:      uint16(laser),
				Offset:    off,
			})
		}
	}
}

// start begins a new revolution at device time dev (µs).
func (a *Assembler) start(dev float64) {
	a.cur = &sensors.Scan{
		Header: sensors.Header{Sensor: a.opts.Sensor},
		Rings:  Lasers,
		Points: make([]sensors.Point, 0, a.capHint),
	}
	a.complete, a.nextComplete = a.nextComplete, false
	a.startDev = dev
}

// Flush delivers the revolution in progress, if any, as a partial one (the
// end of a recording). The next packet starts a new revolution.
func (a *Assembler) Flush(emit func(*sensors.Scan)) {
	a.flush(emit, false)
}

// flush ends the current revolution; atWrap says it ended at the cut.
func (a *Assembler) flush(emit func(*sensors.Scan), atWrap bool) {
	s := a.cur
	complete := a.complete && atWrap
	a.cur, a.complete, a.nextComplete = nil, false, atWrap
	if !atWrap {
		a.lastRot = -1
	}
	if s == nil || (!complete && a.opts.Partial == DropPartial) {
		return
	}
	if n := len(s.Points); complete || n > a.capHint {
		// Size the next revolution like this one, with room for 1/8 more.
		a.capHint = max(n+n/8, Lasers*Channels)
	}
	s.Seq = a.seq
	a.seq++
	s.Stamp = a.stamp(a.startDev)
	s.Received = a.lastRecv
	if s.Received.IsZero() {
		last := a.startDev
		if len(s.Points) > 0 {
			last += float64(s.Points[len(s.Points)-1].Offset)
		}
		s.Received = a.stamp(last)
	}
	s.RingElevations = Elevations()
	a.revolutions.Add(1)
	a.points.Add(uint64(len(s.Points)))
	emit(s)
}

// unwrap turns the µs-past-the-hour timestamp into a continuous device
// time in µs, counting hour rollovers.
func (a *Assembler) unwrap(ts uint32) int64 {
	if a.havePkt {
		d := int64(ts) - int64(a.lastTs)
		switch {
		case d < -hourUs/2:
			a.hours++
		case d > hourUs/2:
			a.hours--
		}
	}
	a.lastTs = ts
	return a.hours*hourUs + int64(ts)
}

// mapClock keeps the (host time, device time) anchor used by stamp.
// pktUs is the packet's duration; recv is when its last firing arrived.
func (a *Assembler) mapClock(dev int64, recv time.Time, pktUs float64) {
	switch {
	case recv.IsZero():
		if a.anchorHost.IsZero() {
			// No host clock: device time counted from the Unix epoch.
			a.anchorHost, a.anchorDev = time.Unix(0, dev*1000).UTC(), dev
		}
	case a.opts.Time == TimeTopOfHour:
		ts := dev - a.hours*hourUs
		t := recv.Truncate(time.Hour).Add(time.Duration(ts) * time.Microsecond)
		if d := t.Sub(recv); d > 30*time.Minute {
			t = t.Add(-time.Hour)
		} else if d < -30*time.Minute {
			t = t.Add(time.Hour)
		}
		a.anchorHost, a.anchorDev = t, dev
	default:
		first := recv.Add(-time.Duration(pktUs * float64(time.Microsecond)))
		if a.anchorHost.IsZero() || absDur(a.stamp(float64(dev)).Sub(first)) > time.Second {
			a.anchorHost, a.anchorDev = first, dev
		}
	}
}

// stamp maps a device time in µs to wall time.
func (a *Assembler) stamp(dev float64) time.Time {
	return a.anchorHost.Add(time.Duration((dev - float64(a.anchorDev)) * float64(time.Microsecond)))
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
