package fleetload

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/sensortrust/trustagent/transport"
)

// Options describe the simulated fleet. Zero fields take the defaults.
type Options struct {
	Broker      string        // tcp://host:port
	Prefix      string        // fleet prefix; default trust/v1
	Robots      int           // default 1000
	Sensors     int           // per robot; default 3
	Heartbeat   time.Duration // default 5 s, as trustd's mqtt.heartbeat
	ChangeEvery time.Duration // mean time between level changes of one robot; default 60 s
	Epoch       uint64        // the seq epoch (seq = Epoch<<32 | n); default 1
	Seed        uint64        // of the level changes
}

func (o Options) withDefaults() Options {
	o.Prefix = cmp.Or(o.Prefix, "trust/v1")
	o.Robots = cmp.Or(o.Robots, 1000)
	o.Sensors = cmp.Or(o.Sensors, 3)
	o.Heartbeat = cmp.Or(o.Heartbeat, 5*time.Second)
	o.ChangeEvery = cmp.Or(o.ChangeEvery, time.Minute)
	o.Epoch = cmp.Or(o.Epoch, 1)
	return o
}

// RobotName is the name of the i-th simulated robot.
func RobotName(i int) string { return fmt.Sprintf("sim%05d", i) }

// SensorName is the name of a robot's j-th sensor.
func SensorName(j int) string { return fmt.Sprintf("sensor%d", j) }

// Stats count what the fleet did.
type Stats struct {
	Published uint64 // PUBLISH packets sent
	Acked     uint64 // PUBACKs received
	Changes   uint64 // level changes
	Invalid   uint64 // messages transport refused to encode (none, unless the options are off)
}

// Load is a running simulated fleet.
type Load struct {
	opt    Options
	robots []*robot
	cancel context.CancelFunc
	runs   sync.WaitGroup // the publishing goroutines
	reads  sync.WaitGroup // the acknowledgement readers

	published, acked, changes, invalid atomic.Uint64
}

// Start connects every robot (a few dozen at a time), publishes its birth
// message and first states, and returns once all of them are connected;
// the robots then publish on their own until Stop.
func Start(ctx context.Context, o Options) (*Load, error) {
	o = o.withDefaults()
	u, err := url.Parse(o.Broker)
	if err != nil || u.Scheme != "tcp" && u.Scheme != "mqtt" || u.Host == "" {
		return nil, fmt.Errorf("fleetload: broker %q: want tcp://host:port", o.Broker)
	}
	if _, err := transport.NewTopics(o.Prefix); err != nil || o.Robots < 1 || o.Sensors < 1 {
		return nil, fmt.Errorf("fleetload: bad options: prefix %q, %d robots of %d sensors", o.Prefix, o.Robots, o.Sensors)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	l := &Load{opt: o, cancel: cancel, robots: make([]*robot, o.Robots)}
	sem := make(chan struct{}, 32)
	errs := make(chan error, o.Robots)
	var connecting sync.WaitGroup
	for i := range o.Robots {
		r := newRobot(l, i)
		l.robots[i] = r
		connecting.Add(1)
		go func() {
			defer connecting.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs <- ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs <- r.connect(ctx, u.Host)
		}()
	}
	connecting.Wait()
	close(errs)
	var all []error
	for err := range errs {
		if err != nil {
			all = append(all, err)
		}
	}
	if err := errors.Join(all...); err != nil {
		cancel()
		l.closeAll()
		return nil, fmt.Errorf("fleetload: %d of %d robots did not connect: %w", len(all), o.Robots, all[0])
	}
	for _, r := range l.robots {
		l.runs.Add(1)
		l.reads.Add(1)
		go func() { defer l.reads.Done(); r.readAcks() }()
		go func() { defer l.runs.Done(); r.run(runCtx) }()
	}
	return l, nil
}

// Stats returns the counters so far.
func (l *Load) Stats() Stats {
	return Stats{Published: l.published.Load(), Acked: l.acked.Load(), Changes: l.changes.Load(), Invalid: l.invalid.Load()}
}

// Stop disconnects every robot cleanly (no last will) and waits for its
// goroutines.
func (l *Load) Stop() {
	l.cancel()
	l.runs.Wait()  // each has sent its DISCONNECT
	l.reads.Wait() // each connection closed by the broker, or timed out
	l.closeAll()
}

func (l *Load) closeAll() {
	for _, r := range l.robots {
		if r != nil && r.conn != nil {
			r.conn.Close()
		}
	}
}

// robot is one simulated trustd.
type robot struct {
	l      *Load
	name   string
	topics transport.Topics
	conn   net.Conn
	w      *bufio.Writer
	rng    *rand.Rand
	id     uint16 // last packet id
	n      uint64 // changes of this run, summary included
	states []transport.State
	sumSeq uint64
}

func newRobot(l *Load, i int) *robot {
	name := RobotName(i)
	r := &robot{l: l, name: name, topics: transport.Topics{Prefix: l.opt.Prefix + "/" + name},
		rng: rand.New(rand.NewPCG(l.opt.Seed, uint64(i)))}
	for j := range l.opt.Sensors {
		r.states = append(r.states, transport.State{Robot: name, Sensor: SensorName(j), Level: transport.LevelOK, Trusted: true,
			HardwareID: "simulated", Model: transport.Model{ID: "sim", Version: "1"}})
	}
	return r
}

func (r *robot) nextSeq() uint64 {
	r.n++
	return r.l.opt.Epoch<<32 | r.n
}

// connect opens the connection, logs in with the last will, and publishes
// the birth message and every state as a change.
func (r *robot) connect(ctx context.Context, host string) error {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("%s: %w", r.name, err)
	}
	r.conn, r.w = c, bufio.NewWriterSize(c, 8<<10)
	cp := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	cp.ProtocolName, cp.ProtocolVersion = "MQTT", 4
	cp.ClientIdentifier = "trustd-" + r.name
	cp.Keepalive = 30
	cp.WillFlag, cp.WillQos, cp.WillRetain = true, 1, true
	cp.WillTopic, cp.WillMessage = r.topics.Status(), []byte(transport.StatusOffline)
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := cp.Write(c); err != nil {
		return fmt.Errorf("%s: connect: %w", r.name, err)
	}
	p, err := packets.ReadPacket(c)
	if err != nil {
		return fmt.Errorf("%s: connack: %w", r.name, err)
	}
	if ack, ok := p.(*packets.ConnackPacket); !ok || ack.ReturnCode != 0 {
		return fmt.Errorf("%s: connection refused: %v", r.name, p)
	}
	_ = c.SetDeadline(time.Time{})
	now := time.Now()
	r.publish(r.topics.Status(), []byte(transport.StatusOnline))
	for j := range r.states {
		r.states[j].Seq = r.nextSeq()
		r.publishState(j, false, now)
	}
	r.sumSeq = r.nextSeq()
	r.publishSummary(false, now)
	return r.flush()
}

// run publishes the heartbeats, at a phase of its own, and the level changes.
func (r *robot) run(ctx context.Context) {
	hb := r.l.opt.Heartbeat
	next := time.Now().Add(time.Duration(r.rng.Int64N(int64(hb))))
	change := time.Now().Add(r.changeWait())
	t := time.NewTimer(time.Until(earliest(next, change)))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// DISCONNECT, then wait for the broker to close: closing at once,
			// with acknowledgements unread, resets the connection, and the
			// broker may lose the DISCONNECT and publish the will.
			_ = packets.NewControlPacket(packets.Disconnect).Write(r.w)
			_ = r.w.Flush()
			if tc, ok := r.conn.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			_ = r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			return
		case <-t.C:
		}
		now := time.Now()
		if !now.Before(change) {
			r.change(now)
			change = now.Add(r.changeWait())
		}
		if !now.Before(next) {
			for j := range r.states {
				r.publishState(j, true, now)
			}
			r.publishSummary(true, now)
			next = next.Add(hb)
		}
		if r.flush() != nil {
			return
		}
		t.Reset(time.Until(earliest(next, change)))
	}
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// changeWait is exponential, of mean ChangeEvery.
func (r *robot) changeWait() time.Duration {
	return time.Duration(r.rng.ExpFloat64() * float64(r.l.opt.ChangeEvery))
}

// change gives one sensor a new level (OK mostly), as a new change.
func (r *robot) change(now time.Time) {
	j := r.rng.IntN(len(r.states))
	s := &r.states[j]
	s.Cause, s.Reasons = transport.CauseNone, nil
	switch x := r.rng.IntN(100); {
	case x < 60:
		s.Level = transport.LevelOK
	case x < 80:
		s.Level = transport.LevelWarn
		s.Cause, s.Reasons = transport.CauseSensor, []transport.Reason{{Code: "score_high", Feature: "score", Value: 3.2}}
	case x < 95:
		s.Level = transport.LevelError
		s.Cause, s.Reasons = transport.CauseSensor, []transport.Reason{{Code: "score_high", Feature: "score", Value: 7.9}}
	default:
		s.Level = transport.LevelStale
		s.Cause, s.Reasons = transport.CauseStream, []transport.Reason{{Code: "stale", Value: 2}}
	}
	s.Trusted = s.Level == transport.LevelOK || s.Level == transport.LevelWarn
	s.Seq = r.nextSeq()
	r.publishState(j, false, now)
	r.sumSeq = r.nextSeq()
	r.publishSummary(false, now)
	r.l.changes.Add(1)
}

func (r *robot) publishState(j int, heartbeat bool, now time.Time) {
	s := r.states[j]
	s.Heartbeat, s.Time, s.Expires = heartbeat, now, now.Add(3*r.l.opt.Heartbeat)
	m, err := r.topics.StateMessage(&s)
	if err != nil {
		r.l.invalid.Add(1)
		return
	}
	r.publish(m.Topic, m.Payload)
}

func (r *robot) publishSummary(heartbeat bool, now time.Time) {
	sum := &transport.Summary{Robot: r.name, Level: transport.LevelOK, Trusted: true, Seq: r.sumSeq,
		Heartbeat: heartbeat, Time: now, Expires: now.Add(3 * r.l.opt.Heartbeat)}
	for _, s := range r.states {
		if s.Level.Code() > sum.Level.Code() {
			sum.Level, sum.Cause = s.Level, s.Cause
		}
		sum.Trusted = sum.Trusted && s.Trusted
		sum.Sensors = append(sum.Sensors, transport.SensorLevel{Sensor: s.Sensor, Level: s.Level, Trusted: s.Trusted, Cause: s.Cause})
	}
	m, err := r.topics.SummaryMessage(sum)
	if err != nil {
		r.l.invalid.Add(1)
		return
	}
	r.publish(m.Topic, m.Payload)
}

// publish buffers one retained QoS 1 message.
func (r *robot) publish(topic string, payload []byte) {
	r.id++
	if r.id == 0 {
		r.id = 1
	}
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.Retain, p.TopicName, p.MessageID, p.Payload = 1, true, topic, r.id, payload
	if p.Write(r.w) == nil {
		r.l.published.Add(1)
	}
}

func (r *robot) flush() error { return r.w.Flush() }

// readAcks counts the broker's acknowledgements until the connection ends.
func (r *robot) readAcks() {
	br := bufio.NewReader(r.conn)
	for {
		p, err := packets.ReadPacket(br)
		if err != nil {
			return
		}
		if _, ok := p.(*packets.PubackPacket); ok {
			r.l.acked.Add(1)
		}
	}
}
