package velodyne

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/sensortrust/trustagent/sensors"
)

// UDPOptions configure NewUDPSource. The zero value listens on all
// interfaces at port 2368.
type UDPOptions struct {
	Name string // sensor name; default "vlp16"
	// Addr is the local address to bind, "host:port"; default ":2368".
	// Bind the interface wired to the sensor, e.g. "192.168.1.100:2368".
	Addr      string
	Assembler Options // Assembler.Sensor is set to Name
	// ReadBuffer is the socket receive buffer in bytes (default 4 MiB:
	// about 2.5 s of VLP-16 data, so a busy host does not drop packets).
	ReadBuffer int
	// RetryMin and RetryMax bound the back-off between attempts to reopen
	// a failed socket (defaults 100 ms and 5 s).
	RetryMin, RetryMax time.Duration
}

// UDPSource reads VLP-16 data packets from a UDP socket. Socket errors are
// counted (BusErrors) and the socket is reopened with back-off
// (Reconnect); datagrams that are not valid payloads count as Malformed;
// gaps in the device timestamps count as Drops.
type UDPSource struct {
	opts UDPOptions

	frames, bytes, malformed, busErrors, reconnect atomic.Uint64
	asm                                            atomic.Pointer[Assembler]
	bound                                          atomic.Pointer[string]
}

// NewUDPSource validates opts (without touching the network).
func NewUDPSource(opts UDPOptions) (*UDPSource, error) {
	if opts.Name == "" {
		opts.Name = "vlp16"
	}
	if opts.Addr == "" {
		opts.Addr = ":" + strconv.Itoa(DataPort)
	}
	_, port, err := net.SplitHostPort(opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("velodyne: address %q: %w", opts.Addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, fmt.Errorf("velodyne: address %q: bad port", opts.Addr)
	}
	if opts.ReadBuffer == 0 {
		opts.ReadBuffer = 4 << 20
	}
	if opts.ReadBuffer < 0 {
		return nil, fmt.Errorf("velodyne: read buffer %d", opts.ReadBuffer)
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = 100 * time.Millisecond
	}
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = max(5*time.Second, opts.RetryMin)
	}
	opts.Assembler.Sensor = opts.Name
	if err := opts.Assembler.validate(); err != nil {
		return nil, err
	}
	return &UDPSource{opts: opts}, nil
}

// Info implements sensors.Source.
func (s *UDPSource) Info() sensors.Info {
	return sensors.Info{Name: s.opts.Name, Kind: sensors.KindLidar, Model: "VLP-16", Period: 100 * time.Millisecond, Address: "udp " + s.opts.Addr}
}

// LocalAddr is the address the socket is bound to ("" when not bound):
// with port 0 in Addr, the port the system chose.
func (s *UDPSource) LocalAddr() string {
	if p := s.bound.Load(); p != nil {
		return *p
	}
	return ""
}

// Counters implements sensors.Counted.
func (s *UDPSource) Counters() sensors.Counters {
	c := sensors.Counters{
		Frames: s.frames.Load(), Bytes: s.bytes.Load(), Malformed: s.malformed.Load(),
		BusErrors: s.busErrors.Load(), Reconnect: s.reconnect.Load(),
	}
	if a := s.asm.Load(); a != nil {
		c.Drops = a.Stats().Drops
	}
	return c
}

// Run implements sensors.Source. It returns only when ctx is cancelled.
func (s *UDPSource) Run(ctx context.Context, emit func(sensors.Frame)) error {
	a, err := NewAssembler(s.opts.Assembler)
	if err != nil {
		return err
	}
	s.asm.Store(a)
	emitScan := func(sc *sensors.Scan) {
		s.frames.Add(1)
		emit(sc)
	}
	backoff := s.opts.RetryMin
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if attempt > 0 {
			s.reconnect.Add(1)
		}
		got, err := s.serve(ctx, a, emitScan)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.busErrors.Add(1)
		_ = err // counted; the socket is reopened below
		if got {
			backoff = s.opts.RetryMin
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		backoff = min(2*backoff, s.opts.RetryMax)
	}
}

// serve opens the socket and reads until an error; got reports whether any
// datagram arrived (to reset the back-off).
func (s *UDPSource) serve(ctx context.Context, a *Assembler, emit func(*sensors.Scan)) (got bool, err error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, "udp4", s.opts.Addr)
	if err != nil {
		return false, fmt.Errorf("velodyne: listen %s: %w", s.opts.Addr, err)
	}
	conn := pc.(*net.UDPConn)
	defer conn.Close()
	_ = conn.SetReadBuffer(s.opts.ReadBuffer) // best effort: capped by net.core.rmem_max
	addr := conn.LocalAddr().String()
	s.bound.Store(&addr)
	defer s.bound.Store(nil)
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// One datagram larger than a payload is read whole so its size shows.
	buf := make([]byte, 2048)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return got, ctx.Err()
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return got, fmt.Errorf("velodyne: read %s: %w", addr, err)
		}
		got = true
		s.bytes.Add(uint64(n))
		if n != PayloadSize {
			s.malformed.Add(1)
			continue
		}
		if err := a.Add(buf[:n], time.Now(), emit); err != nil {
			s.malformed.Add(1)
		}
	}
}
